//! Voice tests: every template renders, and each move's words come from the curriculum.

use super::*;

#[test]
fn every_template_compiles() {
    for (name, _) in templates::TEMPLATES {
        assert!(
            env().get_template(name).is_ok(),
            "template {name} does not compile"
        );
    }
}
