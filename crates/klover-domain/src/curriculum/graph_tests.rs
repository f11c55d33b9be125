use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn id(i: usize) -> ConceptId {
    ConceptId::parse(&format!("c{i}")).unwrap()
}

/// A random DAG: `n` nodes listed in a shuffled order, edges only from lower to higher
/// number so there is never a cycle.
fn dag() -> impl Strategy<Value = (Vec<ConceptId>, Vec<(ConceptId, ConceptId)>)> {
    (1usize..12).prop_flat_map(|n| {
        let edges = proptest::collection::vec((0..n, 0..n), 0..(n * 2));
        let perm = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
        (perm, edges).prop_map(|(perm, edges)| {
            let nodes = perm.into_iter().map(id).collect();
            let edges = edges
                .into_iter()
                .filter(|(a, b)| a < b)
                .map(|(a, b)| (id(a), id(b)))
                .collect();
            (nodes, edges)
        })
    })
}

#[test]
fn a_two_node_cycle_is_reported_as_a_path() {
    let err =
        ConceptGraph::build(&[id(1), id(2), id(3)], &[(id(1), id(2)), (id(2), id(1))]).unwrap_err();
    assert_eq!(err, GraphError::Cycles(vec![vec![id(1), id(2), id(1)]]));
}

#[test]
fn a_self_loop_is_a_cycle() {
    let err = ConceptGraph::build(&[id(1)], &[(id(1), id(1))]).unwrap_err();
    assert_eq!(err, GraphError::Cycles(vec![vec![id(1), id(1)]]));
}

#[test]
fn order_is_stable_and_follows_authored_order_among_peers() {
    let g = ConceptGraph::build(&[id(3), id(1), id(2)], &[(id(2), id(3))]).unwrap();
    assert_eq!(g.order(), &[id(1), id(2), id(3)]);
    assert_eq!(g.roots(), vec![id(1), id(2)]);
}

#[test]
fn fringe_offers_only_unlocked_unmastered_concepts() {
    let g = ConceptGraph::build(&[id(1), id(2), id(3)], &[(id(1), id(2)), (id(2), id(3))]).unwrap();
    assert_eq!(g.fringe(&BTreeSet::new()), vec![id(1)]);
    assert_eq!(g.fringe(&BTreeSet::from([id(1)])), vec![id(2)]);
    assert!(g.fringe(&BTreeSet::from([id(1), id(2), id(3)])).is_empty());
}

proptest! {
    #[test]
    fn prerequisite_order_puts_every_concept_after_its_prerequisites((nodes, edges) in dag()) {
        let g = ConceptGraph::build(&nodes, &edges).unwrap();
        let pos = |c: &ConceptId| g.order().iter().position(|x| x == c).unwrap();
        prop_assert_eq!(g.order().len(), nodes.len());
        for (a, b) in &edges {
            prop_assert!(pos(a) < pos(b), "{a} must come before {b}");
        }
    }

    #[test]
    fn fringe_never_offers_a_concept_with_an_unmet_prerequisite(
        (nodes, edges) in dag(),
        mastered_bits in proptest::collection::vec(any::<bool>(), 12),
    ) {
        let g = ConceptGraph::build(&nodes, &edges).unwrap();
        let mastered: BTreeSet<ConceptId> = nodes
            .iter()
            .zip(&mastered_bits)
            .filter(|(_, m)| **m)
            .map(|(n, _)| n.clone())
            .collect();
        for c in g.fringe(&mastered) {
            prop_assert!(!mastered.contains(&c));
            for (a, b) in &edges {
                if b == &c {
                    prop_assert!(mastered.contains(a), "{c} offered before its prerequisite {a}");
                }
            }
        }
    }

    #[test]
    fn a_random_cycle_is_always_found(
        (nodes, edges) in dag(),
        picks in proptest::collection::vec(0usize..12, 1..6),
    ) {
        let n = nodes.len();
        let mut cyc: Vec<ConceptId> = Vec::new();
        for p in picks {
            let c = id(p % n);
            if !cyc.contains(&c) {
                cyc.push(c);
            }
        }
        let mut all = edges.clone();
        for w in 0..cyc.len() {
            all.push((cyc[w].clone(), cyc[(w + 1) % cyc.len()].clone()));
        }
        match ConceptGraph::build(&nodes, &all) {
            Err(GraphError::Cycles(cycles)) => {
                prop_assert!(!cycles.is_empty());
                for path in cycles {
                    prop_assert_eq!(path.first(), path.last());
                    for w in path.windows(2) {
                        prop_assert!(all.contains(&(w[0].clone(), w[1].clone())), "{} -> {} is not an edge", w[0], w[1]);
                    }
                }
            }
            other => prop_assert!(false, "cycle not found: {:?}", other.map(|g| g.order().to_vec())),
        }
    }
}
