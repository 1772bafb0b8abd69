#![allow(clippy::unwrap_used)]

use super::*;

fn frame(path: &str) -> FramePaths {
    FramePaths {
        mapped: None,
        raw: vec![path.to_owned()],
    }
}

fn mapped(path: &str) -> FramePaths {
    FramePaths {
        mapped: Some(path.to_owned()),
        raw: Vec::new(),
    }
}

fn subject(frames: Vec<FramePaths>) -> OwnershipSubject {
    OwnershipSubject {
        frames,
        url: None,
        tags: Vec::new(),
    }
}

fn owner(ownership: &Ownership, subject: &OwnershipSubject) -> Option<(String, String)> {
    ownership
        .owner_of(subject)
        .map(|found| (found.owner, found.rule))
}

#[test]
fn the_last_matching_rule_wins() {
    let ownership = Ownership::parse(
        "# shop code\npath:shop/* #shop\n\npath:shop/payment/* #payments @ada\npath:docs/* #docs",
        "",
    )
    .unwrap();
    let payment = subject(vec![frame("/app/shop/payment/card.py")]);
    assert_eq!(
        owner(&ownership, &payment),
        Some((
            "#payments".to_owned(),
            "path:shop/payment/* #payments @ada".to_owned()
        ))
    );
    let cart = subject(vec![frame("shop/cart.py")]);
    assert_eq!(owner(&ownership, &cart).unwrap().0, "#shop");
    assert_eq!(owner(&ownership, &subject(vec![frame("lib/x.py")])), None);
}

#[test]
fn url_and_tag_rules_match_the_request_and_tags() {
    let ownership =
        Ownership::parse("url:*/checkout* #web\ntags.service:pay* #payments", "").unwrap();
    let mut event = subject(Vec::new());
    event.url = Some("https://shop.example/CHECKOUT/confirm".to_owned());
    assert_eq!(owner(&ownership, &event).unwrap().0, "#web");
    event
        .tags
        .push(("service".to_owned(), "payments".to_owned()));
    assert_eq!(
        owner(&ownership, &event),
        Some((
            "#payments".to_owned(),
            "tags.service:pay* #payments".to_owned()
        ))
    );
    event.tags = vec![("region".to_owned(), "payments".to_owned())];
    assert_eq!(owner(&ownership, &event).unwrap().0, "#web");
}

#[test]
fn rules_come_after_codeowners() {
    let ownership = Ownership::parse("path:*.py #python", "*.py @acme/backend").unwrap();
    let event = subject(vec![mapped("shop/payment.py")]);
    assert_eq!(owner(&ownership, &event).unwrap().0, "#python");
    let only_codeowners = Ownership::parse("", "*.py @acme/backend").unwrap();
    assert_eq!(
        owner(&only_codeowners, &event),
        Some((
            "#backend".to_owned(),
            "codeowners:*.py @acme/backend".to_owned()
        ))
    );
}

#[test]
fn codeowners_patterns_follow_gitignore() {
    let codeowners = "\
# Default owners
*                    @acme/everyone
*.js                 @js-owner
/build/logs/         @doctocat
docs/*               docs@example.com
apps/                @octocat
/scripts/            @acme/scripts # inline comment
shop/payment         @acme/payments
**/fixtures/*.json   @acme/qa
";
    let ownership = Ownership::parse("", codeowners).unwrap();
    let owner_of = |path: &str| owner(&ownership, &subject(vec![mapped(path)])).map(|o| o.0);
    assert_eq!(owner_of("README.md").as_deref(), Some("#everyone"));
    assert_eq!(owner_of("web/static/app.js").as_deref(), Some("@js-owner"));
    assert_eq!(
        owner_of("build/logs/today.txt").as_deref(),
        Some("@doctocat")
    );
    assert_eq!(
        owner_of("src/build/logs/today.txt").as_deref(),
        Some("#everyone")
    );
    assert_eq!(
        owner_of("docs/intro.md").as_deref(),
        Some("docs@example.com")
    );
    // `docs/*` covers direct children only.
    assert_eq!(owner_of("docs/api/intro.md").as_deref(), Some("#everyone"));
    assert_eq!(
        owner_of("deep/apps/web/index.html").as_deref(),
        Some("@octocat")
    );
    assert_eq!(
        owner_of("shop/payment/card.py").as_deref(),
        Some("#payments")
    );
    assert_eq!(owner_of("shop/payment").as_deref(), Some("#payments"));
    assert_eq!(owner_of("shop/payments.py").as_deref(), Some("#everyone"));
    assert_eq!(owner_of("tests/fixtures/a.json").as_deref(), Some("#qa"));
    assert_eq!(owner_of("scripts/deploy.sh").as_deref(), Some("#scripts"));
    assert_eq!(owner_of("fixtures/a.json").as_deref(), Some("#qa"));
}

#[test]
fn a_codeowners_line_without_owners_unowns() {
    let ownership = Ownership::parse("", "* @acme/everyone\n/vendor/").unwrap();
    assert_eq!(
        owner(&ownership, &subject(vec![mapped("vendor/lib.js")])),
        None
    );
    assert!(owner(&ownership, &subject(vec![mapped("src/lib.js")])).is_some());
}

#[test]
fn unmapped_frames_match_codeowners_at_any_depth() {
    let ownership = Ownership::parse("", "/shop/payment.py @acme/payments").unwrap();
    let event = subject(vec![frame("/srv/app/shop/payment.py")]);
    assert_eq!(owner(&ownership, &event).unwrap().0, "#payments");
    // A mapped path is the repository path: anchored patterns must match it from the root.
    let event = subject(vec![mapped("src/shop/payment.py")]);
    assert_eq!(owner(&ownership, &event), None);
}

#[test]
fn the_culprit_frame_decides_before_outer_frames() {
    let ownership = Ownership::parse("path:shop/* #shop\npath:lib/* #lib", "").unwrap();
    let event = subject(vec![frame("shop/payment.py"), frame("lib/http.py")]);
    assert_eq!(owner(&ownership, &event).unwrap().0, "#shop");
    // When the culprit frame matches nothing, the next in-app frame outward decides.
    let event = subject(vec![frame("util/retry.py"), frame("lib/http.py")]);
    assert_eq!(owner(&ownership, &event).unwrap().0, "#lib");
}

#[test]
fn owners_are_normalized() {
    assert_eq!(normalize_owner("@acme/payments").unwrap(), "#payments");
    assert_eq!(normalize_owner("@ada").unwrap(), "@ada");
    assert_eq!(normalize_owner("#web").unwrap(), "#web");
    assert_eq!(
        normalize_owner("ada@example.com").unwrap(),
        "ada@example.com"
    );
    for bad in ["payments", "@", "@a/b/c", "#", "ada@", "@ada!"] {
        assert!(normalize_owner(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn errors_name_the_line_and_what_is_wrong() {
    let error = Ownership::parse("path:a/* #a\nmodule:x #b", "").unwrap_err();
    assert_eq!(
        error.to_string(),
        "rules line 2: unknown rule type \"module\": use path:, url: or tags.NAME:"
    );
    let error = Ownership::parse("path:a/*", "").unwrap_err();
    assert!(error.to_string().contains("line 1"), "{error}");
    assert!(error.to_string().contains("no owner"), "{error}");
    let error = Ownership::parse("", "\n\n*.py payments").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("CODEOWNERS line 3: owner \"payments\""),
        "{error}"
    );
    let error = Ownership::parse("nonsense", "").unwrap_err();
    assert!(error.to_string().contains("TYPE:PATTERN"), "{error}");
}

#[test]
fn parsing_is_bounded() {
    let huge = "path:a #a\n".repeat(MAX_OWNERSHIP_TEXT_BYTES / 10 + 1);
    assert!(matches!(
        Ownership::parse(&huge, ""),
        Err(OwnershipError::TooLarge { .. })
    ));
    let many = "path:a #a\n".repeat(MAX_OWNERSHIP_RULES + 1);
    assert!(matches!(
        Ownership::parse(&many, ""),
        Err(OwnershipError::TooManyRules { .. })
    ));
    let owners = vec!["#t"; MAX_OWNERS_PER_RULE + 1].join(" ");
    assert!(Ownership::parse(&format!("path:a {owners}"), "").is_err());
    let long = format!("path:{} #a", "a".repeat(MAX_PATTERN_CHARS + 1));
    assert!(Ownership::parse(&long, "").is_err());
}
