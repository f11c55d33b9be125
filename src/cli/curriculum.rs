//! `klover curriculum`: check, show and draw curriculum folders, for authors.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use klover_domain::Curriculum;
use klover_store::curriculum_files::{LoadError, load_dir};

/// Subcommands of `klover curriculum`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate a curriculum folder and report every problem at once.
    ///
    /// Exits 0 when the curriculum is valid; otherwise prints each problem as
    /// `file:line: key: what is wrong` with a `fix:` line, and exits 1.
    #[command(after_help = "Example:\n  klover curriculum check curriculum/async-python")]
    Check {
        /// The curriculum folder (holding curriculum.toml and concepts/).
        dir: PathBuf,
    },
    /// Print the concepts in prerequisite order with their checkpoints.
    #[command(after_help = "Example:\n  klover curriculum show curriculum/async-python")]
    Show {
        /// The curriculum folder.
        dir: PathBuf,
    },
    /// Print the prerequisite graph as Graphviz DOT or Mermaid.
    #[command(
        after_help = "Examples:\n  klover curriculum graph curriculum/async-python --format dot | dot -Tsvg > graph.svg\n  klover curriculum graph curriculum/async-python --format mermaid"
    )]
    Graph {
        /// The curriculum folder.
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
}

/// Graph output formats.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
}

/// Runs `klover curriculum ...`.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let (dir, render): (&PathBuf, fn(&Curriculum) -> String) = match &command {
        Command::Check { dir } => (dir, check_summary),
        Command::Show { dir } => (dir, show),
        Command::Graph {
            dir,
            format: GraphFormat::Dot,
        } => (dir, dot),
        Command::Graph {
            dir,
            format: GraphFormat::Mermaid,
        } => (dir, mermaid),
    };
    match load_dir(dir) {
        Ok(c) => {
            std::io::stdout().write_all(render(&c).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(LoadError::Invalid(e)) => {
            let n = e.problems.len();
            let plural = if n == 1 { "" } else { "s" };
            let mut out = format!("{}: {n} problem{plural}:\n", dir.display());
            for p in &e.problems {
                let located = klover_domain::curriculum::Problem {
                    file: dir.join(&p.file).display().to_string(),
                    ..p.clone()
                };
                let _ = writeln!(out, "{located}");
            }
            eprint!("{out}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

fn check_summary(c: &Curriculum) -> String {
    let checkpoints: usize = c.concepts.iter().map(|k| k.checkpoints.len()).sum();
    let misconceptions: usize = c.concepts.iter().map(|k| k.misconceptions.len()).sum();
    format!(
        "ok: {} (version {}): {} concepts, {checkpoints} checkpoints, {misconceptions} misconceptions\n",
        c.id,
        c.version,
        c.concepts.len()
    )
}

fn show(c: &Curriculum) -> String {
    let mut out = format!("{} — {} (version {})\n", c.id, c.title, c.version);
    for (i, k) in c.ordered_concepts().into_iter().enumerate() {
        let _ = writeln!(out, "\n{}. {} [{}]", i + 1, k.title, k.id);
        if !k.prerequisites.is_empty() {
            let pre: Vec<&str> = k.prerequisites.iter().map(|p| p.as_str()).collect();
            let _ = writeln!(out, "   after: {}", pre.join(", "));
        }
        for cp in &k.checkpoints {
            let _ = writeln!(out, "   - {}: {}", cp.id, cp.statement);
        }
        for m in &k.misconceptions {
            let _ = writeln!(out, "   ! {}: {}", m.id, m.belief);
        }
    }
    out
}

fn dot(c: &Curriculum) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, style=rounded];\n",
        c.id
    );
    for k in c.ordered_concepts() {
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{}\"];",
            k.id,
            k.title.replace('"', "\\\"")
        );
    }
    for (a, b) in c.graph.edges() {
        let _ = writeln!(out, "  \"{a}\" -> \"{b}\";");
    }
    out.push_str("}\n");
    out
}

fn mermaid(c: &Curriculum) -> String {
    let mut out = String::from("flowchart LR\n");
    for k in c.ordered_concepts() {
        let _ = writeln!(
            out,
            "  {}[\"{}\"]",
            mermaid_id(k.id.as_str()),
            k.title.replace('"', "'")
        );
    }
    for (a, b) in c.graph.edges() {
        let _ = writeln!(
            out,
            "  {} --> {}",
            mermaid_id(a.as_str()),
            mermaid_id(b.as_str())
        );
    }
    out
}

/// Mermaid reads `-` as part of an arrow, so ids use `_` there.
fn mermaid_id(id: &str) -> String {
    id.replace('-', "_")
}
