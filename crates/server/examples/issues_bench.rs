//! The issue pipeline's figures, on a fresh file-backed [`SqliteStore`] per part (WAL,
//! `synchronous=FULL`, as `sightline serve` opens it), with generated Python-, Node- and
//! Rust-shaped error events (`issues_bench/synthetic.rs`):
//!
//! 1. processing: envelopes enqueued into the inbox and drained by
//!    [`process_inbox_once`] (decode, normalize, fingerprint, then one transaction per batch of
//!    up to 100 entries that stores, groups, counts and evaluates alert rules), and what part of
//!    it is
//!    [`fingerprint_event`] alone, decoding and normalizing, and the store's transaction;
//! 2. alert rules: the same processing with 10 rules (new issue, regression, spike);
//! 3. issue search at 1k, 10k and 50k issues through the calls the issue list makes
//!    ([`search::parse`], [`search::sort_order`], [`IssueStore::search_issues`]), and the whole
//!    list page (each issue's suspect commits and JSON too);
//! 4. suspect commits of an issue whose first release has 1,000 commits × 10 files, with the
//!    two releases before it as large.
//!
//! Run it with `cargo xtask bench issues` (a release build of this example); an argument
//! `processing` or `search` runs only that part.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "issues_bench/synthetic.rs"]
mod synthetic;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use sightline_server::endpoints::issues::DEFAULT_LIMIT;
use sightline_server::endpoints::issues::json::IssueJson;
use sightline_server::grouping::fingerprint_event;
use sightline_server::processor::{process_entry, process_inbox_once};
use sightline_server::project::ensure_default_project;
use sightline_server::search;
use sightline_server::store::alerts::{AlertCondition, NewAlertRule};
use sightline_server::store::issues::{IssueSearch, IssueStatus, IssueUpdate};
use sightline_server::store::releases::{ChangeKind, ChangedFile, Commit, OwnershipText};
use sightline_server::store::{
    AlertStore, DATABASE_FILE, InboxEntry, IssueStore, NewInboxEntry, ProcessedEnvelope,
    ReleaseStore, SqliteStore, Store,
};
use synthetic::{Lcg, RELEASES};

const PROJECT: u64 = 1;
const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// Part 1: events and the fingerprints they group into.
const EVENTS: u64 = 20_000;
const FINGERPRINTS: u64 = 500;
/// The turns the two processing runs take.
const ROUNDS: usize = 10;
/// Events per transaction in the what-if row of the cost table.
const STORE_BATCH: usize = 100;
/// Issues resolved half-way through, so that the second half brings regressions.
const RESOLVED_HALF_WAY: usize = 50;

/// Part 3: the issue counts searched at, and events per issue (1 or 2).
const ISSUE_COUNTS: [u64; 3] = [1_000, 10_000, 50_000];
/// Events stored per transaction while building the search set.
const BUILD_BATCH: usize = 500;

/// The issue's example query.
const EXAMPLE_QUERY: &str = "is:unresolved level:error http.status_code:500 \
     environment:production release:shop@1.4.2 firstSeen:-1h assigned:#payments \"TypeError\"";

/// Part 4: commits per release and files per commit.
const COMMITS_PER_RELEASE: usize = 1_000;
const FILES_PER_COMMIT: usize = 10;

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

/// p50 and p95 of `samples` (ms).
fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

/// Runs `run` repeatedly (at least 5 times, at most 40, for about 3 s), returning p50, p95
/// and the number of runs; the first run is a warm-up.
fn sample(mut run: impl FnMut() -> Result<()>) -> Result<(f64, f64, usize)> {
    run()?;
    let budget = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < 5 || (samples.len() < 40 && budget.elapsed() < Duration::from_secs(3)) {
        let start = Instant::now();
        run()?;
        samples.push(ms(start.elapsed()));
    }
    let runs = samples.len();
    let (p50, p95) = percentiles(samples);
    Ok((p50, p95, runs))
}

/// A fresh store in a temporary directory with the default project, the releases (oldest
/// first) and the ownership rules.
fn fresh_store(now: u64) -> Result<(tempfile::TempDir, SqliteStore)> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path())?;
    ensure_default_project(&store)?;
    for (index, version) in RELEASES.iter().enumerate() {
        let age = [10 * DAY_MS, 3 * DAY_MS, DAY_MS][index];
        store.create_release(PROJECT, version, now - age)?;
    }
    store.set_ownership(
        PROJECT,
        &OwnershipText {
            rules: synthetic::OWNERSHIP_RULES.to_owned(),
            codeowners: String::new(),
            updated_at_ms: now,
        },
    )?;
    Ok((dir, store))
}

/// The part-1 envelopes: [`EVENTS`] events over [`FINGERPRINTS`] fingerprints, in a shuffled
/// order, with their event ids.
fn part1_envelopes(now: u64) -> Vec<(String, Vec<u8>)> {
    let mut rng = Lcg::new(1);
    (0..EVENTS)
        .map(|seq| {
            let f = rng.below(FINGERPRINTS);
            let timestamp = synthetic::timestamp_ms(f, &mut rng, now);
            let mut event = synthetic::event(f, &mut rng, timestamp, now);
            let id = format!("{f:016x}{seq:016x}");
            event["event_id"] = id.clone().into();
            (id, synthetic::envelope(&event))
        })
        .collect()
}

/// Ten alert rules: new issues (any environment, production, staging, twice with other
/// webhooks), regressions (three), spikes (more than 10, 100, 1000 events in 5 / 60 minutes).
fn alert_rules() -> Vec<NewAlertRule> {
    let rule = |name: &str, condition, environment: Option<&str>, spike: Option<(u64, u64)>| {
        NewAlertRule {
            project_id: PROJECT,
            name: name.to_owned(),
            condition,
            environment: environment.map(str::to_owned),
            threshold: spike.map(|(threshold, _)| threshold),
            window_minutes: spike.map(|(_, window)| window),
            webhook_url: "http://127.0.0.1:9/hook".to_owned(),
            throttle_minutes: 60,
        }
    };
    vec![
        rule("new", AlertCondition::NewIssue, None, None),
        rule(
            "new in production",
            AlertCondition::NewIssue,
            Some("production"),
            None,
        ),
        rule(
            "new in staging",
            AlertCondition::NewIssue,
            Some("staging"),
            None,
        ),
        rule(
            "new, pager",
            AlertCondition::NewIssue,
            Some("production"),
            None,
        ),
        rule("regressed", AlertCondition::Regression, None, None),
        rule(
            "regressed in production",
            AlertCondition::Regression,
            Some("production"),
            None,
        ),
        rule("regressed, chat", AlertCondition::Regression, None, None),
        rule("spike 10/5m", AlertCondition::Spike, None, Some((10, 5))),
        rule(
            "spike 100/60m",
            AlertCondition::Spike,
            Some("production"),
            Some((100, 60)),
        ),
        rule(
            "spike 1000/60m",
            AlertCondition::Spike,
            None,
            Some((1_000, 60)),
        ),
    ]
}

/// What one processing run measured.
struct Processing {
    enqueue: Duration,
    process: Duration,
    issues: usize,
    regressions: usize,
    alerts: usize,
}

/// Enqueues the envelopes into two fresh stores, one without alert rules and one with ten,
/// and processes them there; the stores take turns every [`ROUNDS`]th of the events, so that
/// load from elsewhere on the machine weighs on both alike. [`RESOLVED_HALF_WAY`] issues are
/// resolved half-way.
fn process_runs(envelopes: &[(String, Vec<u8>)], now: u64) -> Result<[Processing; 2]> {
    let (_plain_dir, plain) = fresh_store(now)?;
    let (_rules_dir, with_rules) = fresh_store(now)?;
    for rule in alert_rules() {
        with_rules.create_alert_rule(&rule, now)?;
    }
    let stores = [&plain, &with_rules];
    let mut figures = [(); 2].map(|()| Processing {
        enqueue: Duration::ZERO,
        process: Duration::ZERO,
        issues: 0,
        regressions: 0,
        alerts: 0,
    });
    for (round, chunk) in envelopes
        .chunks(envelopes.len().div_ceil(ROUNDS))
        .enumerate()
    {
        for (store, figures) in stores.iter().zip(&mut figures) {
            if round == ROUNDS / 2 {
                resolve_some(store, now)?;
            }
            let start = Instant::now();
            for (id, payload) in chunk {
                store.enqueue(&NewInboxEntry {
                    project_id: PROJECT,
                    event_id: id.clone(),
                    received_at_ms: now,
                    payload: payload.clone(),
                })?;
            }
            figures.enqueue += start.elapsed();
            let start = Instant::now();
            let report = process_inbox_once(*store)?;
            figures.process += start.elapsed();
            anyhow::ensure!(report.stored == chunk.len(), "not every event was stored");
            figures.issues += report.new_issues;
            figures.regressions += report.regressions;
        }
    }
    for (store, figures) in stores.iter().zip(&mut figures) {
        figures.alerts = store.alerts(PROJECT, 100_000)?.len();
    }
    Ok(figures)
}

/// Resolves [`RESOLVED_HALF_WAY`] issues, as a team would after a fix.
fn resolve_some(store: &SqliteStore, now: u64) -> Result<()> {
    let query = search::parse("is:unresolved")?.issue_sql(now);
    let issues = store.search_issues(&IssueSearch {
        project_id: PROJECT,
        clause: query.clause,
        params: query.params,
        order_by: search::sort_order("freq")?.to_owned(),
        limit: RESOLVED_HALF_WAY,
        now_ms: now,
    })?;
    for issue in issues {
        let update = IssueUpdate {
            status: Some(IssueStatus::Resolved),
            assigned_to: None,
        };
        store.update_issue(issue.id, &update, now)?;
    }
    Ok(())
}

/// Per event, µs: decoding and normalizing (with fingerprinting); fingerprinting alone; and
/// storing the same events [`STORE_BATCH`] per transaction instead of one (no alert rules).
fn cost_breakdown(envelopes: &[(String, Vec<u8>)], now: u64) -> Result<(f64, f64, f64)> {
    let entries: Vec<InboxEntry> = envelopes
        .iter()
        .map(|(id, payload)| InboxEntry {
            id: 0,
            project_id: PROJECT,
            event_id: id.clone(),
            received_at_ms: now,
            payload: payload.clone(),
        })
        .collect();
    let start = Instant::now();
    let mut events = Vec::with_capacity(entries.len());
    for entry in &entries {
        let (decoded, _) = process_entry(entry)?;
        events.extend(decoded.envelope.events);
    }
    let per_event = |elapsed: Duration| elapsed.as_secs_f64() * 1e6 / events.len() as f64;
    let decode = per_event(start.elapsed());
    let start = Instant::now();
    let mut kinds = 0;
    for event in &events {
        kinds += fingerprint_event(&event.event).components.len();
    }
    let fingerprint = per_event(start.elapsed());
    std::hint::black_box(kinds);

    let (_dir, store) = fresh_store(now)?;
    let start = Instant::now();
    for chunk in events.chunks(STORE_BATCH) {
        let batch = ProcessedEnvelope {
            events: chunk.to_vec(),
            ..ProcessedEnvelope::default()
        };
        store.complete_inbox_entry(0, &batch)?;
    }
    let batched = per_event(start.elapsed());
    Ok((decode, fingerprint, batched))
}

/// Stores issues `from..to` (1 or 2 events each) through the processor's decoding and the
/// store's grouping, [`BUILD_BATCH`] events per transaction.
fn add_issues(store: &SqliteStore, from: u64, to: u64, now: u64) -> Result<usize> {
    let mut rng = Lcg::new(from);
    let mut batch = ProcessedEnvelope::default();
    let mut created = 0;
    let mut flush = |batch: &mut ProcessedEnvelope| -> Result<()> {
        created += store.complete_inbox_entry(0, batch)?.new_issues;
        batch.events.clear();
        Ok(())
    };
    for f in from..to {
        for seq in 0..=(f % 2) {
            let timestamp = synthetic::timestamp_ms(f, &mut rng, now);
            let mut event = synthetic::event(f, &mut rng, timestamp, now);
            let id = format!("{f:016x}{seq:016x}");
            event["event_id"] = id.clone().into();
            let entry = InboxEntry {
                id: 0,
                project_id: PROJECT,
                event_id: id,
                received_at_ms: now,
                payload: synthetic::envelope(&event),
            };
            batch
                .events
                .extend(process_entry(&entry)?.0.envelope.events);
            if batch.events.len() >= BUILD_BATCH {
                flush(&mut batch)?;
            }
        }
    }
    flush(&mut batch)?;
    Ok(created)
}

/// The issue list's store call for `query` in `sort` order, [`DEFAULT_LIMIT`] issues.
fn issue_search(query: &str, sort: &str, now: u64) -> Result<IssueSearch> {
    let filter = search::parse(query)?.issue_sql(now);
    Ok(IssueSearch {
        project_id: PROJECT,
        clause: filter.clause,
        params: filter.params,
        order_by: search::sort_order(sort)?.to_owned(),
        limit: DEFAULT_LIMIT,
        now_ms: now,
    })
}

/// The searches measured: label, query, sort.
const SEARCHES: [(&str, &str, &str); 6] = [
    ("example query", EXAMPLE_QUERY, "date"),
    ("is:unresolved, sort=date", "is:unresolved", "date"),
    ("is:unresolved, sort=trends", "is:unresolved", "trends"),
    (
        "is:unresolved url:*checkout*",
        "is:unresolved url:*checkout*",
        "date",
    ),
    ("is:unresolved, sort=freq", "is:unresolved", "freq"),
    ("assigned:#payments, sort=new", "assigned:#payments", "new"),
];

/// Commits of a release: mostly files other issues' frames live in or files no frame names,
/// and a few touching `hot` files.
fn release_commits(version_index: usize, hot: &[String], now: u64) -> Vec<Commit> {
    let mut rng = Lcg::new(version_index as u64 + 77);
    let base = now - [10 * DAY_MS, 3 * DAY_MS, DAY_MS][version_index] - DAY_MS;
    (0..COMMITS_PER_RELEASE)
        .map(|position| {
            let files = (0..FILES_PER_COMMIT)
                .map(|slot| {
                    let path = if slot == 0 && rng.below(100) == 0 {
                        hot[rng.below(hot.len() as u64) as usize].clone()
                    } else {
                        match rng.below(4) {
                            0 => synthetic::in_app_file(rng.below(50_000)),
                            1 => format!("docs/guide/page_{}.md", rng.below(500)),
                            2 => format!("tests/test_{}.py", rng.below(800)),
                            _ => format!("migrations/{:04}_change.sql", rng.below(3_000)),
                        }
                    };
                    ChangedFile {
                        path,
                        kind: if rng.below(8) == 0 {
                            ChangeKind::Added
                        } else {
                            ChangeKind::Modified
                        },
                    }
                })
                .collect();
            Commit {
                id: format!("{version_index:08x}{position:032x}"),
                repository: Some("shop".to_owned()),
                author_name: Some(format!("Dev {}", rng.below(40))),
                author_email: Some(format!("dev{}@example.com", rng.below(40))),
                message: format!("change {position}: tidy the checkout flow"),
                timestamp_ms: base + position as u64 * 60_000,
                files,
            }
        })
        .collect()
}

fn main() -> Result<()> {
    let now = now_ms();
    // `processing` or `search` runs that part alone (for profiling one of them).
    let only = std::env::args().nth(1);
    println!("Issue pipeline, native (release), file-backed SQLite (WAL, synchronous=FULL)\n");
    if only.as_deref() != Some("search") {
        processing(now)?;
    }
    if only.as_deref() != Some("processing") {
        let (dir, store) = fresh_store(now)?;
        searches(&store, dir.path(), now)?;
        suspects_and_list(&store, now)?;
    }
    Ok(())
}

/// Parts 1 and 2: processing, without and with alert rules, and its cost per event.
fn processing(now: u64) -> Result<()> {
    let envelopes = part1_envelopes(now);
    let bytes: usize = envelopes.iter().map(|(_, payload)| payload.len()).sum();
    println!(
        "## Processing: {EVENTS} events (Python, Node and Rust shaped; {:.1} kB per envelope) over {FINGERPRINTS} fingerprints (1 in 10 custom), one envelope each",
        bytes as f64 / envelopes.len() as f64 / 1e3
    );
    println!(
        "(enqueued into the inbox, then drained by process_inbox_once, {ROUNDS} turns each between the two stores; {RESOLVED_HALF_WAY} issues resolved half-way)\n"
    );
    println!(
        "| run | enqueue | process | events/s | ms per event | issues | regressions | alerts fired |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let runs = process_runs(&envelopes, now)?;
    for (rules, run) in [false, true].into_iter().zip(&runs) {
        println!(
            "| {} | {:.1} s ({:.0}/s) | {:.1} s | {:.0} | {:.3} | {} | {} | {} |",
            if rules {
                "10 alert rules"
            } else {
                "no alert rules"
            },
            run.enqueue.as_secs_f64(),
            EVENTS as f64 / run.enqueue.as_secs_f64(),
            run.process.as_secs_f64(),
            EVENTS as f64 / run.process.as_secs_f64(),
            ms(run.process) / EVENTS as f64,
            run.issues,
            run.regressions,
            run.alerts,
        );
    }
    println!(
        "\nAlert rules cost {:.1}% of processing throughput.",
        (1.0 - runs[0].process.as_secs_f64() / runs[1].process.as_secs_f64()) * 100.0
    );
    let (decode, fingerprint, batched) = cost_breakdown(&envelopes, now)?;
    let per_event = runs[0].process.as_secs_f64() * 1e6 / EVENTS as f64;
    let enqueue = runs[0].enqueue.as_secs_f64() * 1e6 / EVENTS as f64;
    let share = |us: f64| us / per_event * 100.0;
    println!("\n| per event (no rules) | µs | share |\n|---|---|---|");
    println!("| whole processing | {per_event:.0} | 100% |");
    println!(
        "| decode + normalize + fingerprint (process_entry, no store) | {decode:.1} | {:.1}% |",
        share(decode)
    );
    println!(
        "| of which grouping::fingerprint_event alone | {fingerprint:.1} | {:.2}% |",
        share(fingerprint)
    );
    println!(
        "| the store's transaction: storing, grouping into issues (counts, tags, hours, users), linking, deleting the entries, one commit per batch | {:.0} | {:.1}% |",
        per_event - decode,
        share(per_event - decode)
    );
    println!(
        "| for scale: enqueueing one entry (one INSERT and a commit, fsync included) | {enqueue:.0} | {:.1}% |",
        share(enqueue)
    );
    println!(
        "| what if: the same events stored {STORE_BATCH} per transaction (decoded first; no inbox) | {batched:.0} | {:.1}% |",
        share(batched)
    );
    Ok(())
}

/// Part 3: the searches at each size, with the query plan of any slower than 50 ms.
fn searches(store: &SqliteStore, dir: &Path, now: u64) -> Result<()> {
    println!(
        "\n## Issue search ({DEFAULT_LIMIT} issues per page, the list endpoint's store call; 1 or 2 events per issue)\n"
    );
    println!("| issues | events | build | search | matches | p50 | p95 | runs |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut stored = 0;
    let mut slow = Vec::new();
    for count in ISSUE_COUNTS {
        let start = Instant::now();
        let created = add_issues(store, stored, count, now)?;
        let build = start.elapsed();
        anyhow::ensure!(
            created as u64 == count - stored,
            "each fingerprint is one issue"
        );
        let events = (0..count).map(|f| 1 + f % 2).sum::<u64>();
        stored = count;
        for (label, query, sort) in SEARCHES {
            let search = issue_search(query, sort, now)?;
            let matches = store.search_issues(&search)?.len();
            let (p50, p95, runs) = sample(|| {
                let search = issue_search(query, sort, now)?;
                std::hint::black_box(store.search_issues(&search)?);
                Ok(())
            })?;
            println!(
                "| {count} | {events} | {:.1} s | {label} | {matches} | {p50:.1} ms | {p95:.1} ms | {runs} |",
                build.as_secs_f64()
            );
            if p50 > 50.0 {
                slow.push((count, label, search));
            }
        }
    }
    let connection = rusqlite::Connection::open(dir.join(DATABASE_FILE))?;
    for (count, label, search) in slow {
        println!("\nQuery plan of `{label}` at {count} issues (over 50 ms):");
        // The statement `search_issues` runs (crates/server/src/store/sqlite/issues/queries.rs).
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT i.id FROM issues AS i WHERE i.project_id = {PROJECT} \
             AND ({}) ORDER BY {}, i.id DESC LIMIT {}",
            search.clause, search.order_by, search.limit
        );
        let mut statement = connection.prepare(&sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(search.params.iter()))?;
        while let Some(row) = rows.next()? {
            println!("    {}", row.get::<_, String>(3)?);
        }
    }
    Ok(())
}

/// Part 4 and the list page, on the 50k-issue store.
fn suspects_and_list(store: &SqliteStore, now: u64) -> Result<()> {
    let newest = store.search_issues(&issue_search(
        &format!("firstRelease:{} is:unresolved", RELEASES[2]),
        "date",
        now,
    )?)?;
    let picked: Vec<_> = newest.iter().take(20).collect();
    anyhow::ensure!(
        !picked.is_empty(),
        "no issue first seen in the newest release"
    );
    let hot: Vec<String> = picked
        .iter()
        .map(|issue| Ok(synthetic::in_app_file(issue_fingerprint(store, issue.id)?)))
        .collect::<Result<_>>()?;
    for (index, version) in RELEASES.iter().enumerate() {
        let commits = release_commits(index, &hot, now);
        store
            .set_release_commits(PROJECT, version, &commits)?
            .context("release exists")?;
    }
    let mut found = 0;
    let mut samples = Vec::new();
    for round in 0..100 {
        let issue = picked[round % picked.len()];
        let start = Instant::now();
        let suspects = store.suspect_commits(PROJECT, issue.id)?;
        samples.push(ms(start.elapsed()));
        found += suspects.len();
    }
    let (p50, p95) = percentiles(samples);
    println!(
        "\n## Suspect commits ({} releases × {COMMITS_PER_RELEASE} commits × {FILES_PER_COMMIT} files; issues first seen in {}; 50k issues stored)\n",
        RELEASES.len(),
        RELEASES[2]
    );
    println!("| issues asked | calls | p50 | p95 | suspects per issue |\n|---|---|---|---|---|");
    println!(
        "| {} | 100 | {p50:.2} ms | {p95:.2} ms | {:.1} |",
        picked.len(),
        found as f64 / 100.0
    );

    // The list page as the endpoint builds it: search, then every issue's suspect commits.
    let (p50, p95, runs) = sample(|| {
        let issues = store.search_issues(&issue_search("is:unresolved", "date", now)?)?;
        let ids: Vec<u64> = issues.iter().map(|issue| issue.id).collect();
        let suspects = store.suspect_commits_of(PROJECT, &ids)?;
        let mut json = Vec::new();
        for (issue, suspects) in issues.into_iter().zip(suspects) {
            json.push(IssueJson::new(issue, suspects)?);
        }
        std::hint::black_box(serde_json::to_vec(&json)?);
        Ok(())
    })?;
    println!(
        "\n## The issue list page (GET /api/0/issues/, is:unresolved, {DEFAULT_LIMIT} issues with suspect commits and JSON), 50k issues\n"
    );
    println!("| p50 | p95 | runs |\n|---|---|---|\n| {p50:.1} ms | {p95:.1} ms | {runs} |");
    Ok(())
}

/// The generator's fingerprint number of an issue, from its first event's id.
fn issue_fingerprint(store: &SqliteStore, issue_id: u64) -> Result<u64> {
    let issue = store.issue(issue_id, 0)?.context("issue exists")?;
    Ok(u64::from_str_radix(&issue.first_event_id[..16], 16)?)
}
