//! The prerequisite DAG over concepts (petgraph), with the orders and fringes the
//! policy needs. Edges point from a prerequisite to the concept that needs it.

use std::collections::{BTreeSet, HashMap};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::ids::ConceptId;

/// The prerequisite graph; built only from an acyclic edge set.
#[derive(Debug, Clone, Serialize)]
pub struct ConceptGraph {
    #[serde(skip)]
    graph: DiGraph<ConceptId, ()>,
    #[serde(skip)]
    index: HashMap<ConceptId, NodeIndex>,
    /// Concepts in prerequisite order; ties broken by the order they were given.
    order: Vec<ConceptId>,
}

/// Why a set of concepts and edges is not a DAG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// An edge names a concept that is not in the node list.
    UnknownConcept(ConceptId),
    /// The edges form at least one cycle; each is a path whose last element repeats the first.
    Cycles(Vec<Vec<ConceptId>>),
}

impl ConceptGraph {
    /// Builds the graph from concepts (in authored order) and `(prerequisite, concept)`
    /// edges, or says why it is not a DAG.
    pub fn build(
        nodes: &[ConceptId],
        edges: &[(ConceptId, ConceptId)],
    ) -> Result<Self, GraphError> {
        let mut graph = DiGraph::new();
        let mut index = HashMap::new();
        for id in nodes {
            index
                .entry(id.clone())
                .or_insert_with(|| graph.add_node(id.clone()));
        }
        for (from, to) in edges {
            let a = *index
                .get(from)
                .ok_or_else(|| GraphError::UnknownConcept(from.clone()))?;
            let b = *index
                .get(to)
                .ok_or_else(|| GraphError::UnknownConcept(to.clone()))?;
            graph.update_edge(a, b, ());
        }
        let cycles = find_cycles(&graph);
        if !cycles.is_empty() {
            return Err(GraphError::Cycles(cycles));
        }
        let order = kahn_order(&graph);
        Ok(Self {
            graph,
            index,
            order,
        })
    }

    /// Concepts in prerequisite order: each after all of its prerequisites.
    pub fn order(&self) -> &[ConceptId] {
        &self.order
    }

    /// The direct prerequisites of a concept.
    pub fn prerequisites(&self, id: &ConceptId) -> Vec<ConceptId> {
        self.neighbours(id, petgraph::Direction::Incoming)
    }

    /// The concepts that directly need this one.
    pub fn dependents(&self, id: &ConceptId) -> Vec<ConceptId> {
        self.neighbours(id, petgraph::Direction::Outgoing)
    }

    /// Whether every prerequisite of `id` is in `mastered`.
    pub fn is_unlocked(&self, id: &ConceptId, mastered: &BTreeSet<ConceptId>) -> bool {
        self.prerequisites(id).iter().all(|p| mastered.contains(p))
    }

    /// The outer fringe: concepts not mastered whose prerequisites all are, in
    /// prerequisite order.
    pub fn fringe(&self, mastered: &BTreeSet<ConceptId>) -> Vec<ConceptId> {
        self.order
            .iter()
            .filter(|id| !mastered.contains(*id) && self.is_unlocked(id, mastered))
            .cloned()
            .collect()
    }

    /// Concepts with no prerequisites.
    pub fn roots(&self) -> Vec<ConceptId> {
        self.order
            .iter()
            .filter(|id| self.prerequisites(id).is_empty())
            .cloned()
            .collect()
    }

    /// All `(prerequisite, concept)` edges, in prerequisite order of the concept.
    pub fn edges(&self) -> Vec<(ConceptId, ConceptId)> {
        let mut out = Vec::new();
        for id in &self.order {
            for p in self.prerequisites(id) {
                out.push((p, id.clone()));
            }
        }
        out
    }

    fn neighbours(&self, id: &ConceptId, dir: petgraph::Direction) -> Vec<ConceptId> {
        let Some(&ix) = self.index.get(id) else {
            return Vec::new();
        };
        let mut out: Vec<(usize, ConceptId)> = self
            .graph
            .neighbors_directed(ix, dir)
            .map(|n| (n.index(), self.graph[n].clone()))
            .collect();
        out.sort();
        out.into_iter().map(|(_, id)| id).collect()
    }
}

/// Kahn's algorithm, always taking the earliest-authored ready node, so the order is stable.
fn kahn_order(graph: &DiGraph<ConceptId, ()>) -> Vec<ConceptId> {
    let mut indegree: Vec<usize> = graph
        .node_indices()
        .map(|n| {
            graph
                .neighbors_directed(n, petgraph::Direction::Incoming)
                .count()
        })
        .collect();
    let mut ready: BTreeSet<usize> = (0..indegree.len()).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(indegree.len());
    while let Some(i) = ready.pop_first() {
        let n = NodeIndex::new(i);
        order.push(graph[n].clone());
        for m in graph.neighbors_directed(n, petgraph::Direction::Outgoing) {
            indegree[m.index()] -= 1;
            if indegree[m.index()] == 0 {
                ready.insert(m.index());
            }
        }
    }
    order
}

/// One cycle per strongly connected component that has one, as a path
/// `[a, b, c, a]` following prerequisite edges.
fn find_cycles(graph: &DiGraph<ConceptId, ()>) -> Vec<Vec<ConceptId>> {
    let mut cycles = Vec::new();
    for scc in tarjan_scc(graph) {
        let self_loop = scc.len() == 1 && graph.contains_edge(scc[0], scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
        let Some(&start) = members.iter().next() else {
            continue;
        };
        if let Some(path) = cycle_through(graph, start, &members) {
            cycles.push(path.into_iter().map(|n| graph[n].clone()).collect());
        }
    }
    cycles.sort();
    cycles
}

/// A path from `start` back to `start` inside one strongly connected component (BFS, so
/// the shortest such cycle).
fn cycle_through(
    graph: &DiGraph<ConceptId, ()>,
    start: NodeIndex,
    members: &BTreeSet<NodeIndex>,
) -> Option<Vec<NodeIndex>> {
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph.neighbors(n).collect();
        next.sort();
        for m in next {
            if !members.contains(&m) {
                continue;
            }
            if m == start {
                let mut path = vec![start];
                let mut cur = n;
                while cur != start {
                    path.push(cur);
                    cur = *parent.get(&cur)?;
                }
                path.push(start);
                path.reverse();
                return Some(path);
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(m) {
                e.insert(n);
                queue.push_back(m);
            }
        }
    }
    None
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
