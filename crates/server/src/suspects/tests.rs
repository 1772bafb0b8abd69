#![allow(clippy::unwrap_used)]

use super::*;
use crate::store::releases::ChangedFile;

fn frame(filename: &str, abs_path: Option<&str>, function: &str) -> Frame {
    Frame {
        filename: Some(filename.to_owned()),
        abs_path: abs_path.map(str::to_owned),
        function: Some(function.to_owned()),
        module: None,
        lineno: Some(7),
        colno: None,
        pre_context: Vec::new(),
        context_line: None,
        post_context: Vec::new(),
        in_app: Some(true),
        vars: None,
    }
}

fn commit(id: &str, at: u64, files: &[(&str, ChangeKind)]) -> ReleaseCommit {
    ReleaseCommit {
        release: "shop@2".to_owned(),
        commit: Commit {
            id: id.to_owned(),
            repository: Some("shop".to_owned()),
            author_name: Some(format!("author of {id}")),
            author_email: None,
            message: format!("commit {id}"),
            timestamp_ms: at,
            files: files
                .iter()
                .map(|(path, kind)| ChangedFile {
                    path: (*path).to_owned(),
                    kind: *kind,
                })
                .collect(),
        },
    }
}

fn ids(suspects: &[SuspectCommit]) -> Vec<&str> {
    suspects.iter().map(|suspect| suspect.id.as_str()).collect()
}

#[test]
fn innermost_frame_first_then_newest() {
    let inner = frame("shop/payment.py", None, "charge");
    let outer = frame("shop/views.py", None, "checkout");
    let commits = [
        commit(
            "views-new",
            50,
            &[("src/shop/views.py", ChangeKind::Modified)],
        ),
        commit(
            "payment-old",
            10,
            &[("src/shop/payment.py", ChangeKind::Modified)],
        ),
        commit(
            "payment-new",
            20,
            &[("src/shop/payment.py", ChangeKind::Added)],
        ),
        commit("readme", 90, &[("README.md", ChangeKind::Modified)]),
    ];
    let suspects = rank_suspects(&[&inner, &outer], &[], &commits);
    assert_eq!(ids(&suspects), ["payment-new", "payment-old", "views-new"]);
    assert_eq!(suspects[0].frame.function.as_deref(), Some("charge"));
    assert_eq!(suspects[0].path, "src/shop/payment.py");
    assert_eq!(suspects[0].score, 100);
    assert_eq!(suspects[2].frame.function.as_deref(), Some("checkout"));
    assert_eq!(suspects[2].score, 90);
}

#[test]
fn deleted_files_and_other_files_do_not_count() {
    let inner = frame("shop/payment.py", None, "charge");
    let commits = [
        commit("deleted", 30, &[("shop/payment.py", ChangeKind::Deleted)]),
        commit(
            "similar",
            40,
            &[("shop/old_payment.py", ChangeKind::Modified)],
        ),
    ];
    assert!(rank_suspects(&[&inner], &[], &commits).is_empty());
}

#[test]
fn at_most_three_and_each_commit_once() {
    let inner = frame("a.py", None, "f");
    let outer = frame("b.py", None, "g");
    let both = [
        ("a.py", ChangeKind::Modified),
        ("b.py", ChangeKind::Modified),
    ];
    let commits: Vec<_> = (0..5)
        .map(|n| commit(&format!("c{n}"), n, &both))
        .chain([commit("c4", 4, &both)])
        .collect();
    let suspects = rank_suspects(&[&inner, &outer], &[], &commits);
    assert_eq!(ids(&suspects), ["c4", "c3", "c2"]);
}

#[test]
fn code_mappings_turn_stack_paths_into_repository_paths() {
    let mappings = [CodeMapping {
        id: 1,
        stack_root: "/srv/app/".to_owned(),
        source_root: "backend/".to_owned(),
    }];
    let inner = frame("payment.py", Some("/srv/app/shop/payment.py"), "charge");
    let paths = FramePaths::of(&inner, &mappings);
    assert_eq!(paths.mapped.as_deref(), Some("backend/shop/payment.py"));
    let commits = [commit(
        "mapped",
        1,
        &[("backend/shop/payment.py", ChangeKind::Modified)],
    )];
    assert_eq!(
        ids(&rank_suspects(&[&inner], &mappings, &commits)),
        ["mapped"]
    );
}

#[test]
fn path_suffixes_match_only_at_slashes() {
    let paths = FramePaths::of(
        &frame(
            "./shop/payment.py",
            Some("https://cdn.example/shop/payment.py"),
            "f",
        ),
        &[],
    );
    assert_eq!(paths.raw, ["shop/payment.py"]);
    assert!(paths.matches_file("src/shop/payment.py"));
    assert!(paths.matches_file("payment.py"));
    assert!(!paths.matches_file("src/myshop/payment.py"));
    assert!(!paths.matches_file("shop/payment.pyc"));
}

#[test]
fn in_app_frames_are_innermost_first_across_the_chain() {
    let raw = serde_json::json!({
        "exception": [
            {"type": "KeyError", "stacktrace": {"frames": [
                {"filename": "cause_outer.py", "in_app": true},
                {"filename": "cause_inner.py", "in_app": true},
            ]}},
            {"type": "ValueError", "stacktrace": {"frames": [
                {"filename": "main_outer.py", "in_app": true},
                {"filename": "site-packages/lib.py", "in_app": false},
                {"filename": "main_inner.py", "in_app": true},
            ]}},
        ]
    });
    let context = crate::normalize::NormalizeContext {
        event_id: crate::event_id::EventId::random(),
        received_ms: 0,
    };
    let event = crate::normalize::normalize_event(&raw, &context);
    let names: Vec<_> = in_app_frames(&event)
        .into_iter()
        .filter_map(|frame| frame.filename.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            "main_inner.py",
            "main_outer.py",
            "cause_inner.py",
            "cause_outer.py"
        ]
    );
}
