//! The shop's source history: a small git repository that the demo writes, so that Sightline's
//! release tooling has real commits to read (`sightline releases set-commits --from-git`).
//!
//! It holds short stand-ins for the shop's sources at the paths the shop's stack frames name
//! (`src/checkout.rs`, `src/payment.rs`, …), a `.github/CODEOWNERS` file, and the commits of two
//! releases by several authors. Release `shop@1.4.2` contains the commit that broke checkout
//! (its diff turns the authorization timeout of 3 seconds into 3 ms, see [`crate::payment`]),
//! next to commits that touch other files. Each release's last commit is tagged with its name.
//!
//! [`write_history`] is idempotent and incremental: writing up to `shop@1.4.1` and later up to
//! `shop@1.4.2` gives the same repository as writing up to `shop@1.4.2` at once, as a deploy
//! pipeline sees a repository grow.

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Oid, Repository, Signature, Time};

/// The releases of the history, oldest first.
pub const RELEASES: [&str; 2] = ["shop@1.4.1", "shop@1.4.2"];

/// The commit that broke checkout in `shop@1.4.2`: its summary line.
pub const BREAKING_COMMIT: &str = "payment: keep the authorization timeout as a Duration";

/// Where the shop's code owners are listed, relative to the repository root.
pub const CODEOWNERS_PATH: &str = ".github/CODEOWNERS";

/// Why the history could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The release is not one of [`RELEASES`].
    #[error("unknown release {0:?}; the history has {RELEASES:?}")]
    UnknownRelease(String),
    /// The directory holds a repository whose commits are not this history's.
    #[error("{path} holds commits that are not the demo shop's history")]
    ForeignRepository {
        /// The repository's directory.
        path: PathBuf,
    },
    /// A file of the working tree could not be written or removed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// libgit2 failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

/// What one commit does to a file.
enum Change {
    /// Writes the file with this content (added or modified).
    Write(&'static str, &'static str),
    /// Deletes the file.
    Delete(&'static str),
}

/// One scripted commit.
struct ScriptedCommit {
    release: &'static str,
    author: (&'static str, &'static str),
    /// Hours before the time the history is written.
    hours_ago: i64,
    message: &'static str,
    changes: &'static [Change],
}

const ANA: (&str, &str) = ("Ana Lima", "ana@shop.example");
const BEN: (&str, &str) = ("Ben Okafor", "ben@shop.example");
const CHLOE: (&str, &str) = ("Chloé Martin", "chloe@shop.example");
const DMITRI: (&str, &str) = ("Dmitri Ivanov", "dmitri@shop.example");

const CODEOWNERS: &str = "\
# Who owns what in the shop; the last matching pattern wins.
*                  @shop/web
/src/catalogue.rs  @dmitri
/src/checkout.rs   @shop/checkout
/src/payment.rs    @shop/payments
/docs/             chloe@shop.example
";

const PAYMENT_SECONDS: &str = "\
use std::time::Duration;

/// Seconds checkout waits for the payment provider.
pub const AUTHORIZATION_TIMEOUT_SECS: u64 = 3;

pub async fn authorize(amount_cents: u64) -> Result<Authorization, PaymentError> {
    let timeout = Duration::from_secs(AUTHORIZATION_TIMEOUT_SECS);
    tokio::time::timeout(timeout, provider_authorize(amount_cents))
        .await
        .map_err(|_| PaymentError::ProviderTimeout { timeout, amount_cents })
}
";

const PAYMENT_DURATION: &str = "\
use std::time::Duration;

/// How long checkout waits for the payment provider.
pub const AUTHORIZATION_TIMEOUT: Duration = Duration::from_millis(3);

pub async fn authorize(amount_cents: u64, timeout: Duration) -> Result<Authorization, PaymentError> {
    tokio::time::timeout(timeout, provider_authorize(amount_cents))
        .await
        .map_err(|_| PaymentError::ProviderTimeout { timeout, amount_cents })
}
";

const CHECKOUT_FIRST: &str = "\
pub async fn place_order(items: &[u32]) -> Result<Order, CheckoutError> {
    if items.is_empty() {
        return Err(CheckoutError::EmptyCart);
    }
    let total_cents = price(items)?;
    let authorization = payment::authorize(total_cents).await?;
    Ok(Order { total_cents, payment_reference: authorization.reference })
}
";

const CHECKOUT_LIMIT: &str = "\
pub const MAX_ITEMS: usize = 100;

pub async fn place_order(items: &[u32]) -> Result<Order, CheckoutError> {
    if items.is_empty() {
        return Err(CheckoutError::EmptyCart);
    }
    if items.len() > MAX_ITEMS {
        return Err(CheckoutError::TooManyItems);
    }
    let total_cents = price(items)?;
    let authorization = payment::authorize(total_cents).await?;
    Ok(Order { total_cents, payment_reference: authorization.reference })
}
";

const CHECKOUT_DURATION: &str = "\
pub const MAX_ITEMS: usize = 100;

pub async fn place_order(items: &[u32]) -> Result<Order, CheckoutError> {
    if items.is_empty() {
        return Err(CheckoutError::EmptyCart);
    }
    if items.len() > MAX_ITEMS {
        return Err(CheckoutError::TooManyItems);
    }
    let total_cents = price(items)?;
    let authorization = payment::authorize(total_cents, payment::AUTHORIZATION_TIMEOUT).await?;
    Ok(Order { total_cents, payment_reference: authorization.reference })
}
";

const CATALOGUE_FIRST: &str = "\
pub const PRODUCTS: &[Product] = &[
    Product { id: 1, name: \"Trail backpack\", price_cents: 12_900 },
    Product { id: 2, name: \"Poster\", price_cents: 1_500 },
    Product { id: 3, name: \"Rain jacket\", price_cents: 18_900 },
];
";

const CATALOGUE_MUG: &str = "\
pub const PRODUCTS: &[Product] = &[
    Product { id: 1, name: \"Trail backpack\", price_cents: 12_900 },
    Product { id: 2, name: \"Poster\", price_cents: 1_500 },
    Product { id: 3, name: \"Rain jacket\", price_cents: 18_900 },
    Product { id: 4, name: \"Travel mug\", price_cents: 2_400 },
];
";

const CATALOGUE_NO_POSTER: &str = "\
pub const PRODUCTS: &[Product] = &[
    Product { id: 1, name: \"Trail backpack\", price_cents: 12_900 },
    Product { id: 3, name: \"Rain jacket\", price_cents: 18_900 },
    Product { id: 4, name: \"Travel mug\", price_cents: 2_400 },
];
";

const README_FIRST: &str = "# Shop\n\nThe shop's backend: catalogue, checkout and payment.\n";

const README_FLOW: &str = "\
# Shop

The shop's backend: catalogue, checkout and payment. See docs/checkout.md for the checkout flow.
";

const CHECKOUT_DOC: &str = "\
# Checkout

1. The page posts the cart to `/api/checkout`.
2. The backend prices it from the catalogue.
3. The payment provider authorizes the amount; checkout waits at most the authorization timeout.
";

const HISTORY: &[ScriptedCommit] = &[
    ScriptedCommit {
        release: "shop@1.4.1",
        author: ANA,
        hours_ago: 72,
        message: "Shop backend: catalogue, checkout and payment",
        changes: &[
            Change::Write("README.md", README_FIRST),
            Change::Write(CODEOWNERS_PATH, CODEOWNERS),
            Change::Write("src/main.rs", "fn main() {\n    shop::serve();\n}\n"),
            Change::Write("src/catalogue.rs", CATALOGUE_FIRST),
            Change::Write("src/checkout.rs", CHECKOUT_FIRST),
            Change::Write("src/payment.rs", PAYMENT_SECONDS),
            Change::Write("assets/poster.txt", "A poster of the trail.\n"),
        ],
    },
    ScriptedCommit {
        release: "shop@1.4.1",
        author: DMITRI,
        hours_ago: 60,
        message: "catalogue: add the travel mug",
        changes: &[Change::Write("src/catalogue.rs", CATALOGUE_MUG)],
    },
    ScriptedCommit {
        release: "shop@1.4.1",
        author: ANA,
        hours_ago: 50,
        message: "checkout: reject carts of more than 100 items",
        changes: &[Change::Write("src/checkout.rs", CHECKOUT_LIMIT)],
    },
    ScriptedCommit {
        release: "shop@1.4.2",
        author: BEN,
        hours_ago: 6,
        message: BREAKING_COMMIT,
        changes: &[
            Change::Write("src/payment.rs", PAYMENT_DURATION),
            Change::Write("src/checkout.rs", CHECKOUT_DURATION),
        ],
    },
    ScriptedCommit {
        release: "shop@1.4.2",
        author: CHLOE,
        hours_ago: 5,
        message: "docs: describe the checkout flow",
        changes: &[
            Change::Write("README.md", README_FLOW),
            Change::Write("docs/checkout.md", CHECKOUT_DOC),
        ],
    },
    ScriptedCommit {
        release: "shop@1.4.2",
        author: DMITRI,
        hours_ago: 4,
        message: "catalogue: drop the discontinued poster",
        changes: &[
            Change::Write("src/catalogue.rs", CATALOGUE_NO_POSTER),
            Change::Delete("assets/poster.txt"),
        ],
    },
];

/// Writes the shop's history up to and including `release` into the git repository at `dir`
/// (created if missing), dating commits relative to `now_secs` (seconds since the Unix epoch).
/// Commits already there are kept; returns the id of the release's last commit.
///
/// # Errors
/// [`HistoryError`] for an unknown release, a repository with other commits, or a failed write.
pub fn write_history(dir: &Path, release: &str, now_secs: i64) -> Result<Oid, HistoryError> {
    let upto = HISTORY
        .iter()
        .rposition(|commit| commit.release == release)
        .ok_or_else(|| HistoryError::UnknownRelease(release.to_owned()))?;
    let repo = match Repository::open(dir) {
        Ok(repo) => repo,
        Err(_) => Repository::init(dir)?,
    };
    let existing = existing_commits(&repo, dir)?;
    let mut head = match repo.head() {
        Ok(head) => Some(head.peel_to_commit()?.id()),
        Err(_) => None,
    };
    for (index, scripted) in HISTORY.iter().enumerate().take(upto + 1).skip(existing) {
        head = Some(commit(&repo, dir, scripted, head, now_secs)?);
        let is_release_end = HISTORY
            .get(index + 1)
            .is_none_or(|next| next.release != scripted.release);
        if let (true, Some(id)) = (is_release_end, head) {
            let object = repo.find_object(id, None)?;
            repo.tag_lightweight(scripted.release, &object, true)?;
        }
    }
    let tag = repo.revparse_single(&format!("refs/tags/{release}"))?;
    Ok(tag.peel_to_commit()?.id())
}

/// How many of the scripted commits the repository already holds (its history must be a prefix
/// of the script).
fn existing_commits(repo: &Repository, dir: &Path) -> Result<usize, HistoryError> {
    let Ok(head) = repo.head() else {
        return Ok(0);
    };
    let mut walk = repo.revwalk()?;
    walk.push(head.peel_to_commit()?.id())?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
    let mut count = 0;
    for id in walk {
        let commit = repo.find_commit(id?)?;
        let expected = HISTORY.get(count).map(|scripted| scripted.message);
        if commit.summary() != expected {
            return Err(HistoryError::ForeignRepository {
                path: dir.to_owned(),
            });
        }
        count += 1;
    }
    Ok(count)
}

fn commit(
    repo: &Repository,
    dir: &Path,
    scripted: &ScriptedCommit,
    parent: Option<Oid>,
    now_secs: i64,
) -> Result<Oid, HistoryError> {
    let mut index = repo.index()?;
    for change in scripted.changes {
        match change {
            Change::Write(path, content) => {
                let file = dir.join(path);
                if let Some(parent) = file.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| HistoryError::Io {
                        path: parent.to_owned(),
                        source,
                    })?;
                }
                std::fs::write(&file, content)
                    .map_err(|source| HistoryError::Io { path: file, source })?;
            }
            Change::Delete(path) => {
                let file = dir.join(path);
                std::fs::remove_file(&file)
                    .map_err(|source| HistoryError::Io { path: file, source })?;
                index.remove_path(Path::new(path))?;
            }
        }
    }
    index.add_all(["*"], IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let (name, email) = scripted.author;
    let when = Time::new(now_secs - scripted.hours_ago * 3600, 0);
    let signature = Signature::new(name, email, &when)?;
    let parents = match parent {
        Some(id) => vec![repo.find_commit(id)?],
        None => Vec::new(),
    };
    let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    Ok(repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        scripted.message,
        &tree,
        &parent_refs,
    )?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;

    fn summaries(repo: &Repository, from: &str) -> Vec<String> {
        let mut walk = repo.revwalk().unwrap();
        walk.push(repo.revparse_single(from).unwrap().id()).unwrap();
        walk.map(|id| {
            let commit = repo.find_commit(id.unwrap()).unwrap();
            commit.summary().unwrap().to_owned()
        })
        .collect()
    }

    #[test]
    fn the_history_grows_release_by_release_and_is_tagged() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_history(dir.path(), "shop@1.4.1", NOW).unwrap();
        let again = write_history(dir.path(), "shop@1.4.1", NOW).unwrap();
        assert_eq!(first, again, "writing a release twice adds nothing");
        let second = write_history(dir.path(), "shop@1.4.2", NOW).unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        assert_eq!(repo.head().unwrap().peel_to_commit().unwrap().id(), second);
        assert_eq!(summaries(&repo, "shop@1.4.1").len(), 3);
        let all = summaries(&repo, "shop@1.4.2");
        assert_eq!(all.len(), 6);
        assert_eq!(all[2], BREAKING_COMMIT);
        // The working tree is the release's: the poster is gone, CODEOWNERS is there.
        assert!(!dir.path().join("assets/poster.txt").exists());
        let owners = std::fs::read_to_string(dir.path().join(CODEOWNERS_PATH)).unwrap();
        assert!(owners.contains("/src/payment.rs    @shop/payments"));
    }

    #[test]
    fn the_breaking_commit_is_bens_and_touches_payment() {
        let dir = tempfile::tempdir().unwrap();
        write_history(dir.path(), "shop@1.4.2", NOW).unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let commit = repo
            .revparse_single("shop@1.4.2~2")
            .unwrap()
            .peel_to_commit()
            .unwrap();
        assert_eq!(commit.summary(), Some(BREAKING_COMMIT));
        assert_eq!(commit.author().name(), Some("Ben Okafor"));
        assert_eq!(commit.time().seconds(), NOW - 6 * 3600);
        let diff = repo
            .diff_tree_to_tree(
                Some(&commit.parent(0).unwrap().tree().unwrap()),
                Some(&commit.tree().unwrap()),
                None,
            )
            .unwrap();
        let paths: Vec<_> = diff
            .deltas()
            .map(|delta| delta.new_file().path().unwrap().to_owned())
            .collect();
        assert_eq!(
            paths,
            [
                PathBuf::from("src/checkout.rs"),
                PathBuf::from("src/payment.rs")
            ]
        );
    }

    #[test]
    fn unknown_releases_and_foreign_repositories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            write_history(dir.path(), "shop@9.9.9", NOW),
            Err(HistoryError::UnknownRelease(_))
        ));
        let repo = Repository::init(dir.path()).unwrap();
        let signature = Signature::new("Someone", "someone@example.com", &Time::new(NOW, 0));
        let tree = repo
            .find_tree(repo.index().unwrap().write_tree().unwrap())
            .unwrap();
        repo.commit(
            Some("HEAD"),
            &signature.unwrap(),
            &Signature::now("Someone", "someone@example.com").unwrap(),
            "unrelated",
            &tree,
            &[],
        )
        .unwrap();
        assert!(matches!(
            write_history(dir.path(), "shop@1.4.1", NOW),
            Err(HistoryError::ForeignRepository { .. })
        ));
    }
}
