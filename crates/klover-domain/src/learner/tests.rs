//! Learner model tests: BKT arithmetic, crediting rules, and mastery bounds.

use proptest::prelude::*;

use super::*;

#[test]
fn one_clear_statement_masters_a_checkpoint_with_the_default_parameters() {
    let p = BktParams::default();
    let after = bkt_update(&p, p.p_init, true);
    assert!(after >= MASTERED, "{after}");
    let missed = bkt_update(&p, p.p_init, false);
    assert!(missed < p.p_init + 0.1, "{missed}");
    assert!(bkt_update(&p, missed, true) >= MASTERED);
}

#[test]
fn evidence_after_misses_still_reaches_mastery() {
    let p = BktParams::default();
    let mut k = p.p_init;
    for _ in 0..5 {
        k = bkt_update(&p, k, false);
    }
    assert!(k < 0.5);
    assert!(bkt_update(&p, k, true) >= MASTERED);
}

proptest! {
    #[test]
    fn mastery_stays_in_unit_interval(
        prior in 0.0f64..=1.0,
        init in 0.0f64..=1.0,
        learn in 0.0f64..=1.0,
        guess in 0.0f64..=1.0,
        slip in 0.0f64..=1.0,
        obs in proptest::collection::vec(any::<bool>(), 0..30),
    ) {
        let p = BktParams { p_init: init, p_learn: learn, p_guess: guess, p_slip: slip };
        let mut k = prior;
        for o in obs {
            k = bkt_update(&p, k, o);
            prop_assert!((0.0..=1.0).contains(&k), "{k}");
        }
    }

    #[test]
    fn a_correct_observation_never_lowers_mastery(prior in 0.0f64..=1.0) {
        let p = BktParams::default();
        prop_assert!(bkt_update(&p, prior, true) >= prior - 1e-12);
    }
}

#[test]
fn a_mastered_checkpoint_stays_mastered_within_the_session() {
    use crate::assess::Assessment;
    let c = crate::testing::small();
    let k = &c.concepts[0];
    let x = k.checkpoints[0].id.clone();
    let mut m = LearnerModel::default();
    let mut hit = Assessment::empty(k);
    hit.scores.get_mut(&x).unwrap().score = 1.0;
    assert_eq!(m.observe(k, &hit, "alpha", &[]), vec![x.clone()]);
    let mut miss = Assessment::empty(k);
    miss.negated.push(x.clone());
    assert!(
        m.observe(k, &miss, "not alpha", std::slice::from_ref(&x))
            .is_empty()
    );
    assert!(m.is_mastered(&x));
}
