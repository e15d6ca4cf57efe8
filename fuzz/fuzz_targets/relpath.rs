//! `RelPath::new` never panics, and every path it accepts is in normal form,
//! stays beneath any root it is joined to, and has no forbidden component
//! (no control character, nothing Windows forbids); and a plan never holds
//! two spellings of one file that differ by Unicode normalisation or case.
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use stencil_deploy::{DeployPlan, PlanError, RelPath, STATE_DIR};
use unicode_normalization::UnicodeNormalization;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let Ok(path) = RelPath::new(&input) else {
        return;
    };
    let s = path.as_str();
    assert!(!s.is_empty(), "{input:?} accepted as empty");
    assert!(!s.starts_with('/'), "{input:?} accepted as absolute {s:?}");
    assert!(!s.contains(['\0', '\\', ':', '<', '>', '"', '|', '?', '*']), "{input:?} -> {s:?}");
    assert!(!s.chars().any(char::is_control), "{input:?} -> {s:?} holds a control character");
    for c in s.split('/') {
        assert!(!c.is_empty() && c != "." && c != "..", "{input:?} -> {s:?}");
        assert!(!c.ends_with('.') && !c.ends_with(' '), "{input:?} -> {s:?}");
        assert!(c.len() <= 255, "{input:?}: component of {} bytes", c.len());
    }
    let first = s.split('/').next().unwrap_or_default();
    assert!(!first.eq_ignore_ascii_case(STATE_DIR), "{input:?} -> {s:?} is in the state dir");
    // Lexically beneath the root: every component of the join past the root
    // is a normal name.
    let root = Path::new("/fuzz/root");
    let joined = root.join(path.as_path());
    let rest = joined.strip_prefix(root).expect("join keeps the root");
    assert!(rest.components().all(|c| matches!(c, Component::Normal(_))), "{input:?} -> {joined:?}");
    // Normal form is a fixed point.
    assert_eq!(RelPath::new(s).as_ref(), Ok(&path));
    // Another normalisation form or case of the same name is one file on
    // macOS: a plan refuses the second.
    for other in [s.nfd().collect::<String>(), s.nfc().collect(), s.to_lowercase()] {
        let Ok(other) = RelPath::new(&other) else { continue };
        let mut plan = DeployPlan::new("/fuzz/root");
        plan.add(path.clone(), "a", None).expect("one entry always fits");
        let second = plan.add(other.clone(), "b", None);
        assert!(
            matches!(second, Err(PlanError::Duplicate { .. })),
            "{s:?} and {:?} both planned: {second:?}",
            other.as_str()
        );
    }
});
