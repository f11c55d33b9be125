//! Prerequisite checks across concept files: unknown prerequisites, cycles (as a path),
//! and concepts that can never be unlocked because they hang off a cycle.

use std::collections::BTreeSet;

use super::Concept;
use super::graph::{ConceptGraph, GraphError};
use super::load::{SourceFile, Unparsed};
use super::source::ConceptFile;
use super::validate::{Problem, Report};
use crate::ids::ConceptId;

/// Checks prerequisites, cycles and reachability; returns the graph when all hold.
pub(crate) fn build_graph(
    concepts: &[Concept],
    files: &[(&SourceFile, ConceptFile)],
    unparsed: &Unparsed,
    problems: &mut Vec<Problem>,
) -> Option<ConceptGraph> {
    let known: BTreeSet<&ConceptId> = concepts.iter().map(|c| &c.id).collect();
    let file_of = |id: &ConceptId| files.iter().find(|(_, c)| c.id.get_ref() == id.as_str());
    let mut edges = Vec::new();
    let mut ok = true;
    for c in concepts {
        for p in &c.prerequisites {
            if known.contains(p) {
                edges.push((p.clone(), c.id.clone()));
                continue;
            }
            ok = false;
            if unparsed.ids.contains(p.as_str()) {
                // Its file's syntax error is reported already.
                continue;
            }
            if let Some((f, cf)) = file_of(&c.id) {
                let span = cf
                    .prerequisites
                    .iter()
                    .find(|s| s.get_ref() == p.as_str())
                    .map(|s| s.span().start);
                let names: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
                let or_broken = if unparsed.anonymous.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (or fix {}, which does not parse: it may define it)",
                        unparsed.anonymous.join(", ")
                    )
                };
                Report {
                    file: &f.path,
                    text: &f.text,
                    problems,
                }
                .at(
                    span,
                    Some("prerequisites".into()),
                    format!("unknown prerequisite `{p}`"),
                    format!(
                        "use the id of an existing concept: {}{or_broken}",
                        names.join(", ")
                    ),
                );
            }
        }
    }
    let nodes: Vec<ConceptId> = concepts.iter().map(|c| c.id.clone()).collect();
    match ConceptGraph::build(&nodes, &edges) {
        Ok(g) if ok => Some(g),
        Ok(_) => None,
        Err(GraphError::UnknownConcept(_)) => None,
        Err(GraphError::Cycles(cycles)) => {
            report_cycles(&cycles, &nodes, &edges, &file_of, problems);
            None
        }
    }
}

fn report_cycles<'a>(
    cycles: &[Vec<ConceptId>],
    nodes: &[ConceptId],
    edges: &[(ConceptId, ConceptId)],
    file_of: &dyn Fn(&ConceptId) -> Option<&'a (&'a SourceFile, ConceptFile)>,
    problems: &mut Vec<Problem>,
) {
    let on_cycle: BTreeSet<&ConceptId> = cycles.iter().flatten().collect();
    for cycle in cycles {
        let path: Vec<&str> = cycle.iter().map(|c| c.as_str()).collect();
        if let Some((f, cf)) = cycle.first().and_then(file_of) {
            let span = cf.prerequisites.first().map(|s| s.span().start);
            Report { file: &f.path, text: &f.text, problems }.at(span, Some("prerequisites".into()),
                format!("prerequisite cycle: {}", path.join(" -> ")),
                "a concept cannot depend on itself, even indirectly: remove one prerequisite on this path");
        }
    }
    // A concept is unlockable when all its prerequisites are; the rest hang off a cycle.
    let mut unlockable: BTreeSet<&ConceptId> = BTreeSet::new();
    loop {
        let before = unlockable.len();
        for n in nodes {
            if !unlockable.contains(n)
                && edges
                    .iter()
                    .filter(|(_, b)| b == n)
                    .all(|(a, _)| unlockable.contains(a))
            {
                unlockable.insert(n);
            }
        }
        if unlockable.len() == before {
            break;
        }
    }
    for n in nodes
        .iter()
        .filter(|n| !unlockable.contains(n) && !on_cycle.contains(n))
    {
        if let Some((f, cf)) = file_of(n) {
            Report { file: &f.path, text: &f.text, problems }.at(Some(cf.id.span().start), Some("id".into()),
                format!("concept `{n}` is unreachable from any root: its prerequisites lead into a cycle"),
                "break the cycle reported above, or change this concept's prerequisites");
        }
    }
}
