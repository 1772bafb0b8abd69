//! The demo's release story, told with the `sightline` command-line client the way a deploy
//! pipeline would: the shop's git history grows release by release (written by
//! `sightline-demo-shop --write-history`), and each release is created, given its commits from
//! that history and deployed; the project gets the repository's `CODEOWNERS` and a code mapping
//! from the shop's stack-trace paths to the repository.
//!
//! `cargo xtask demo` and the end-to-end tests both tell it through [`ShopReleases`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// The shop's releases, oldest first: the one that pays, then the one whose checkout fails.
pub const RELEASES: [&str; 2] = ["shop@1.4.1", "shop@1.4.2"];

/// Summary line of the commit in `shop@1.4.2` that broke checkout.
pub const BREAKING_COMMIT: &str = "payment: keep the authorization timeout as a Duration";

/// Author of [`BREAKING_COMMIT`].
pub const BREAKING_AUTHOR: &str = "Ben Okafor";

/// The owner `CODEOWNERS` gives the shop's payment code (`@shop/payments`), as issues name it.
pub const PAYMENT_OWNER: &str = "#payments";

/// Where the shop's code owners are listed in its repository.
const CODEOWNERS_PATH: &str = ".github/CODEOWNERS";

/// The `sightline` client pointed at one server and project, and the shop's repository.
#[derive(Debug, Clone)]
pub struct ShopReleases {
    cli: PathBuf,
    shop: PathBuf,
    url: String,
    token: String,
    /// The shop's git repository (created on the first [`ship`](Self::ship)).
    pub repo: PathBuf,
}

impl ShopReleases {
    /// The story for the server at `url` (admin `token`), with the `sightline` binary `cli`, the
    /// `sightline-demo-shop` binary `shop`, and the shop's repository at `repo`.
    pub fn new(cli: &Path, shop: &Path, url: &str, token: &str, repo: &Path) -> Self {
        Self {
            cli: cli.to_owned(),
            shop: shop.to_owned(),
            url: url.to_owned(),
            token: token.to_owned(),
            repo: repo.to_owned(),
        }
    }

    /// Writes the repository up to `release`, then creates the release, sets its commits from
    /// the repository (since the previous release) and records its deploy to `environment`.
    /// The first call also uploads the repository's `CODEOWNERS` and maps `stack_root` (where the
    /// shop's sources were when it was built, as its stack frames name them) to the repository.
    ///
    /// # Errors
    /// When a binary fails; the message holds its output.
    pub fn ship(&self, release: &str, environment: &str, stack_root: &Path) -> Result<()> {
        let first = !self.repo.join(".git").exists();
        run(Command::new(&self.shop)
            .arg("--write-history")
            .arg(&self.repo)
            .args(["--release", release]))?;
        if first {
            self.sightline(&[
                "code-mappings",
                "add",
                "--stack-root",
                &format!("{}/", stack_root.display()),
                "--source-root",
                "",
            ])?;
            let codeowners = self.repo.join(CODEOWNERS_PATH);
            self.sightline(&[
                "ownership",
                "set",
                "--codeowners",
                &codeowners.display().to_string(),
            ])?;
        }
        self.sightline(&["releases", "new", release])?;
        let repo = self.repo.display().to_string();
        self.sightline(&["releases", "set-commits", release, "--from-git", &repo])?;
        self.sightline(&["releases", "deploy", release, "--env", environment])?;
        Ok(())
    }

    /// Runs `sightline ARGS` against the server; returns its standard output.
    ///
    /// # Errors
    /// When it cannot start or exits unsuccessfully.
    pub fn sightline(&self, args: &[&str]) -> Result<String> {
        run(Command::new(&self.cli)
            .env("SIGHTLINE_URL", &self.url)
            .env("SIGHTLINE_AUTH_TOKEN", &self.token)
            .args(args))
    }
}

/// Runs `command`; returns its standard output, or fails with everything it printed.
fn run(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("starting {command:?}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "{command:?} exited with {}:\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}
