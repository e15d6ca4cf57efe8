//! The three-way merge against a model: random line-based files, random
//! user and template edits.
//!
//! * Edits in regions apart from each other (at least one untouched line
//!   between a user edit and a template edit) merge cleanly, to exactly the
//!   file with both applied.
//! * Whatever the edits, no line the user added is lost: it is in the
//!   clean result, or on the user's side of a conflict.

use proptest::prelude::*;
use stencil::lifecycle::{Merged, merge3};

#[derive(Debug, Clone)]
enum Op {
    Keep,
    Delete,
    /// Replace the line with one new line.
    Replace,
    /// Keep the line and add one after it.
    InsertAfter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Nobody,
    User,
    Template,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Keep),
        1 => Just(Op::Delete),
        1 => Just(Op::Replace),
        1 => Just(Op::InsertAfter),
    ]
}

fn owner() -> impl Strategy<Value = Owner> {
    prop_oneof![
        2 => Just(Owner::Nobody),
        1 => Just(Owner::User),
        1 => Just(Owner::Template),
    ]
}

/// Applies the edits owned by `who`; added lines are tagged with their
/// owner and the line number, so each is unique.
fn apply(base: &[String], plan: &[(Owner, Op)], who: &[Owner]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (line, (owner, op))) in base.iter().zip(plan).enumerate() {
        let mine = who.contains(owner);
        let tag = if *owner == Owner::User {
            "user"
        } else {
            "template"
        };
        match (mine, op) {
            (false, _) | (true, Op::Keep) => out.push(line.clone()),
            (true, Op::Delete) => {}
            (true, Op::Replace) => out.push(format!("{tag} replaces {i}\n")),
            (true, Op::InsertAfter) => {
                out.push(line.clone());
                out.push(format!("{tag} after {i}\n"));
            }
        }
    }
    out
}

fn text(lines: &[String], crlf: bool) -> Vec<u8> {
    let joined = lines.concat();
    if crlf {
        joined.replace('\n', "\r\n").into_bytes()
    } else {
        joined.into_bytes()
    }
}

/// User and template edits never touch neighbouring lines.
fn separate(mut plan: Vec<(Owner, Op)>) -> Vec<(Owner, Op)> {
    for i in 1..plan.len() {
        let (prev, cur) = (plan[i - 1].0, plan[i].0);
        if prev != Owner::Nobody && cur != Owner::Nobody && prev != cur {
            plan[i].0 = Owner::Nobody;
        }
    }
    // An edit of the last line and one of the line before it both touch
    // the end of the file; and an insertion after line i touches line i+1.
    for i in 1..plan.len() {
        if plan[i - 1].0 != Owner::Nobody
            && matches!(plan[i - 1].1, Op::InsertAfter)
            && plan[i].0 != Owner::Nobody
            && plan[i].0 != plan[i - 1].0
        {
            plan[i].0 = Owner::Nobody;
        }
    }
    plan
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn edits_apart_merge_cleanly_to_both_applied(
        n in 1usize..40,
        plan in prop::collection::vec((owner(), op()), 40),
        crlf in any::<bool>(),
    ) {
        let base: Vec<String> = (0..n).map(|i| format!("base line {i}\n")).collect();
        let plan = separate(plan[..n].to_vec());
        let ours = apply(&base, &plan, &[Owner::User]);
        let theirs = apply(&base, &plan, &[Owner::Template]);
        let both = apply(&base, &plan, &[Owner::User, Owner::Template]);
        let merged = merge3(&text(&base, crlf), &text(&ours, crlf), &text(&theirs, crlf), "p", "t");
        prop_assert_eq!(merged, Merged::Clean(text(&both, crlf)));
    }

    #[test]
    fn no_line_the_user_added_is_ever_lost(
        n in 0usize..30,
        plan in prop::collection::vec((owner(), op()), 30),
    ) {
        let base: Vec<String> = (0..n).map(|i| format!("base line {i}\n")).collect();
        let plan = plan[..n].to_vec();
        let ours = apply(&base, &plan, &[Owner::User]);
        let theirs = apply(&base, &plan, &[Owner::Template]);
        let out = match merge3(&text(&base, false), &text(&ours, false), &text(&theirs, false), "p", "t") {
            Merged::Clean(b) => b,
            Merged::Conflict { marked, regions } => {
                prop_assert!(regions > 0);
                marked
            }
        };
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.split_inclusive('\n').collect();
        for added in ours.iter().filter(|l| l.starts_with("user ")) {
            prop_assert!(lines.contains(&added.as_str()), "lost {:?} in {:?}", added, out);
        }
    }
}
