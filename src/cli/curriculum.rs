//! `klover curriculum`: check, show and draw curriculum folders, for authors.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use klover_domain::assess::{examples, findings};
use std::process::ExitCode;

use klover_domain::Curriculum;
use klover_store::curriculum_files::{LoadError, load_dir, read_dir};

/// Subcommands of `klover curriculum`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate a curriculum folder and run its examples through the rubric.
    ///
    /// Exits 0 when the curriculum is valid, every authored example does what it must
    /// (examples credited or flagged, counterexamples not), no tutor text gives a
    /// checkpoint away, and every tutor text keeps the voice's limits (at most 100 words,
    /// one question, a hint is not the statement); otherwise prints each
    /// problem as `file:line: key: what is wrong` with a `fix:` line, each failing
    /// example with what the rubric credited instead, and exits 1. Recall and precision
    /// are printed per checkpoint and misconception.
    #[command(
        after_help = "Examples:\n  klover curriculum check curriculum/async-python\n  klover curriculum check curriculum/async-python --wordings heldback.toml"
    )]
    Check {
        /// The curriculum folder (holding curriculum.toml and concepts/).
        dir: PathBuf,
        /// Also measure a batch of learner wordings kept outside the curriculum
        /// (`[[wording]]` tables: concept, target, kind = "example"|"counterexample",
        /// text, optional context). Its figures are printed; its misses do not fail.
        #[arg(long, value_name = "FILE")]
        wordings: Vec<PathBuf>,
        /// Print every failing wording of the --wordings batches too.
        #[arg(long)]
        verbose: bool,
    },
    /// Store a curriculum folder as a new published version (when its content changed).
    ///
    /// A folder that fails the check stores nothing and exits 1 with its problems.
    #[command(
        after_help = "Example:\n  klover curriculum import curriculum/async-python --message \"clearer hint\""
    )]
    Import(super::versions::ImportArgs),
    /// Write a stored version of a curriculum as a folder, byte for byte.
    #[command(
        after_help = "Examples:\n  klover curriculum export async-python out/\n  klover curriculum export async-python --version 2 out/"
    )]
    Export(super::versions::ExportArgs),
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
pub async fn run(command: Command, global: &super::config::Global) -> anyhow::Result<ExitCode> {
    let (dir, render): (PathBuf, fn(&Curriculum) -> String) = match command {
        Command::Import(args) => return super::versions::run_import(args, global).await,
        Command::Export(args) => return super::versions::run_export(args, global).await,
        Command::Check {
            dir,
            wordings,
            verbose,
        } => return check(&dir, &wordings, verbose),
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
    match load(&dir)? {
        Ok(c) => {
            std::io::stdout().write_all(render(&c).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}

/// Loads a curriculum folder, or prints its problems and gives the exit code.
fn load(dir: &Path) -> anyhow::Result<Result<Curriculum, ExitCode>> {
    match load_dir(dir) {
        Ok(c) => Ok(Ok(c)),
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
            Ok(Err(ExitCode::FAILURE))
        }
        Err(e) => Err(e.into()),
    }
}

/// `check`: the folder loads, every authored example does what it must; figures for
/// the authored examples and for each `--wordings` batch.
fn check(dir: &Path, batches: &[PathBuf], verbose: bool) -> anyhow::Result<ExitCode> {
    let c = match load(dir)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let report = examples::run(&c, &examples::authored(&c));
    let files = read_dir(dir)?;
    let texts = findings::tutor_texts(&c, &files);
    let mut out = check_summary(&c);
    if !(report.passed() && texts.is_empty()) {
        // Valid files, but examples or tutor texts fail: not "ok".
        out = out.replacen("ok: ", "loaded: ", 1);
    }
    let (cps, mcs) = report.totals();
    if cps.examples + cps.counterexamples + mcs.examples + mcs.counterexamples > 0 {
        let _ = writeln!(out, "\nauthored examples:\n{}", report.summary());
        out.push_str(&table(&report));
    }
    for path in batches {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let batch = examples::parse_batch(&text, &path.display().to_string())
            .map_err(anyhow::Error::msg)?;
        let r = examples::run(&c, &batch);
        let _ = writeln!(
            out,
            "\n{} ({} wordings):\n{}",
            path.display(),
            batch.len(),
            r.summary()
        );
        if verbose {
            out.push_str(&failures(dir, &r));
        }
        for w in &r.unknown {
            let _ = writeln!(
                out,
                "{}: unknown concept or target `{}` / `{}`",
                w.at, w.concept, w.target
            );
        }
    }
    std::io::stdout().write_all(out.as_bytes())?;
    if !texts.is_empty() {
        let n = texts.len();
        let mut err = format!(
            "{}: {n} tutor text problem{} (giveaways and the voice's limits):\n",
            dir.display(),
            if n == 1 { "" } else { "s" }
        );
        for p in &texts {
            let located = klover_domain::curriculum::Problem {
                file: dir.join(&p.file).display().to_string(),
                ..p.clone()
            };
            let _ = writeln!(err, "{located}");
        }
        eprint!("{err}");
    }
    if report.passed() && texts.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    if report.passed() {
        // Only tutor texts fail: their problems are printed above.
        return Ok(ExitCode::FAILURE);
    }
    let n = report.failures.len() + report.unknown.len();
    let mut err = format!(
        "{}: {n} example{} failed:\n",
        dir.display(),
        if n == 1 { "" } else { "s" }
    );
    err.push_str(&failures(dir, &report));
    for w in &report.unknown {
        let _ = writeln!(
            err,
            "{}: unknown target `{}`",
            dir.join(&w.at).display(),
            w.target
        );
    }
    err.push_str("fix: change the cues (or contradictions) until the wording is read as meant, or move it to the other list if it was misfiled (docs/curriculum.md, \"Examples\")\n");
    eprint!("{err}");
    Ok(ExitCode::FAILURE)
}

/// Per checkpoint and misconception: recall and precision of its examples.
fn table(r: &examples::Report) -> String {
    let mut out = String::new();
    for (kind, map) in [
        ("checkpoint", &r.checkpoints),
        ("misconception", &r.misconceptions),
    ] {
        for (id, t) in map {
            let _ = writeln!(
                out,
                "  {kind} {id}: recall {:.2} ({}/{}), precision {:.2} ({} of {} counterexamples {})",
                t.recall(),
                t.hits,
                t.examples,
                t.precision(),
                t.false_hits,
                t.counterexamples,
                if kind == "checkpoint" {
                    "credited"
                } else {
                    "flagged"
                },
            );
        }
    }
    out
}

fn failures(dir: &Path, r: &examples::Report) -> String {
    let mut out = String::new();
    for f in &r.failures {
        let w = &f.wording;
        let must = match w.kind {
            examples::Kind::Example => "must show",
            examples::Kind::Counterexample => "must not show",
        };
        let at = if w.at.contains(".toml:") && !w.at.starts_with('/') {
            dir.join(&w.at).display().to_string()
        } else {
            w.at.clone()
        };
        let context = w
            .context
            .as_deref()
            .map(|q| format!(" (answering \"{q}\")"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{at}: {must} `{}`: \"{}\"{context} — {}",
            w.target, w.text, f.got
        );
    }
    out
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
