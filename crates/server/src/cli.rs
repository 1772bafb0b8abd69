//! The `sightline` command-line client: `releases` (new, set-commits, deploy, list),
//! `ownership set` and `code-mappings` (add, list), talking to a server's API over HTTP.
//!
//! Every command takes `--url` (else `SIGHTLINE_URL`, else `http://127.0.0.1:8080`),
//! `--auth-token` (else `SIGHTLINE_AUTH_TOKEN`; an admin token the server printed on its first
//! start) and `--project` (else `SIGHTLINE_PROJECT`, else 1). `set-commits --from-git` reads the
//! local git history with libgit2 (no `git` executable needed):
//!
//! `users add`, `tokens create` and `keys add | list | revoke` manage accounts, API tokens and
//! the project's DSN keys (see `docs/access.md`).
//!
//! ```text
//! sightline releases new shop@1.4.2
//! sightline releases set-commits shop@1.4.2 --from-git . --since shop@1.4.1
//! sightline releases deploy shop@1.4.2 --env production
//! sightline ownership set --codeowners .github/CODEOWNERS
//! sightline code-mappings add --stack-root /app/ --source-root src/
//! SIGHTLINE_PASSWORD=… sightline users add --email ann@example.com --org default --role admin
//! sightline tokens create --scopes read,write --label ci
//! sightline keys add --label rotated && sightline keys revoke OLDKEY
//! ```

mod accounts;
mod client;
mod git;
mod releases;
mod settings;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use thiserror::Error;

pub use self::client::ApiClient;

/// The server the client talks to when neither `--url` nor `SIGHTLINE_URL` names one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// Where the client commands find the server.
#[derive(Debug, Clone, Default, Args)]
pub struct ServerOptions {
    /// The server's URL [env: SIGHTLINE_URL] [default: http://127.0.0.1:8080].
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// An admin token of the server [env: SIGHTLINE_AUTH_TOKEN].
    #[arg(long, global = true, value_name = "TOKEN")]
    pub auth_token: Option<String>,
    /// The project id [env: SIGHTLINE_PROJECT] [default: 1].
    #[arg(long, global = true, value_name = "ID")]
    pub project: Option<String>,
}

/// `sightline releases …`.
#[derive(Debug, Subcommand)]
pub enum ReleasesCommand {
    /// Create a release (nothing changes if it exists).
    New {
        /// The version, such as shop@1.4.2.
        version: String,
    },
    /// Set a release's commits from a local git repository: the commits since PREVIOUS (or
    /// since the newest commit of the release before this one on the server), with the files
    /// each one added, modified or deleted.
    SetCommits {
        /// The version.
        version: String,
        /// The repository (any directory inside it) to read; the current directory by default.
        #[arg(
            long,
            value_name = "PATH",
            num_args = 0..=1,
            default_missing_value = ".",
            required = true
        )]
        from_git: Option<PathBuf>,
        /// A git revision, or a release version on the server whose newest commit is used.
        #[arg(long, value_name = "PREVIOUS")]
        since: Option<String>,
    },
    /// Record a deploy of a release.
    Deploy {
        /// The version.
        version: String,
        /// The environment, such as production.
        #[arg(long = "env", value_name = "ENV")]
        environment: String,
        /// A name for the deploy.
        #[arg(long)]
        name: Option<String>,
    },
    /// List the project's releases, newest first.
    List,
}

/// `sightline ownership …`.
#[derive(Debug, Subcommand)]
pub enum OwnershipCommand {
    /// Upload ownership rules and/or a CODEOWNERS file (what is not given stays as it is).
    Set {
        /// A file of ownership rules (`path:`, `url:`, `tags.NAME:` lines).
        #[arg(long, value_name = "FILE", required_unless_present = "codeowners")]
        rules: Option<PathBuf>,
        /// A GitHub CODEOWNERS file.
        #[arg(long, value_name = "FILE")]
        codeowners: Option<PathBuf>,
    },
}

/// `sightline code-mappings …`.
#[derive(Debug, Subcommand)]
pub enum CodeMappingsCommand {
    /// Map stack-trace paths starting with STACK_ROOT to repository paths under SOURCE_ROOT.
    Add {
        /// A prefix of the paths in stack traces, such as /app/.
        #[arg(long, value_name = "STACK_ROOT")]
        stack_root: String,
        /// The repository directory it stands for, such as src/ (empty: the repository root).
        #[arg(long, value_name = "SOURCE_ROOT", default_value = "")]
        source_root: String,
    },
    /// List the project's code mappings.
    List,
}

/// `sightline users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user; the password comes from SIGHTLINE_PASSWORD or the first line of stdin.
    Add {
        /// The email the user signs in with.
        #[arg(long)]
        email: String,
        /// A display name.
        #[arg(long)]
        name: Option<String>,
        /// Make the user a superuser (sees and administers everything).
        #[arg(long)]
        superuser: bool,
        /// Add the user to this organization (by slug).
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
        /// Their role there: member, admin or owner.
        #[arg(long, default_value = "member", requires = "org",
              value_parser = ["member", "admin", "owner"])]
        role: String,
    },
}

/// `sightline tokens …`.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create an API token of the --auth-token's user and print it (shown once).
    Create {
        /// Comma-separated scopes: read, write, admin (never above your own).
        #[arg(long, value_delimiter = ',', required = true,
              value_parser = ["read", "write", "admin"])]
        scopes: Vec<String>,
        /// What the token is for.
        #[arg(long)]
        label: Option<String>,
    },
}

/// `sightline keys …`: the project's DSN keys.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a DSN key and print its DSN (to rotate: add, move the SDKs, revoke the old one).
    Add {
        /// What the key is for.
        #[arg(long)]
        label: Option<String>,
    },
    /// List the project's keys, revoked ones too.
    List,
    /// Revoke a key: ingest with it is refused at once.
    Revoke {
        /// The key (the DSN's user part).
        public_key: String,
    },
}

/// Why a client command failed; the message says what to do about it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CliError {
    /// `users add` got no password.
    #[error("no password: set SIGHTLINE_PASSWORD or write it on the first line of stdin")]
    MissingPassword,
    /// No auth token was given.
    #[error("no auth token: pass --auth-token TOKEN or set SIGHTLINE_AUTH_TOKEN")]
    MissingToken,
    /// `--project` or `SIGHTLINE_PROJECT` is not a number.
    #[error("invalid project {0:?}: expected a numeric project id")]
    InvalidProject(String),
    /// The URL is not http(s).
    #[error("invalid server URL {0:?}: expected http://host:port")]
    InvalidUrl(String),
    /// The server could not be reached.
    #[error("cannot reach the Sightline server at {url}: {reason}")]
    Unreachable {
        /// The server's URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The server rejected the token.
    #[error("the server at {url} rejected the auth token (401): {message}")]
    Unauthorized {
        /// The server's URL.
        url: String,
        /// The server's message.
        message: String,
    },
    /// The server answered with an error.
    #[error("the server answered {status} to {what}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The request, such as `POST /api/0/projects/1/releases/`.
        what: String,
        /// The server's message.
        message: String,
    },
    /// The path is not inside a git repository.
    #[error("{path} is not a git repository (or inside one): {reason}")]
    NotARepository {
        /// The path given.
        path: PathBuf,
        /// libgit2's message.
        reason: String,
    },
    /// `--since` names neither a revision of the repository nor a release on the server.
    #[error(
        "unknown revision {revision:?}: neither a commit of the repository at {path} \
         nor a release on the server"
    )]
    UnknownRevision {
        /// What was given.
        revision: String,
        /// The repository.
        path: PathBuf,
    },
    /// The repository has no commits yet.
    #[error("the git repository at {0} has no commits yet")]
    NoCommits(PathBuf),
    /// Reading the git history failed.
    #[error("reading the git history: {0}")]
    Git(#[from] git2::Error),
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl ServerOptions {
    /// The API client these options (and the environment) describe.
    ///
    /// # Errors
    /// [`CliError::MissingToken`], [`CliError::InvalidProject`] or [`CliError::InvalidUrl`].
    pub fn client(&self) -> Result<ApiClient, CliError> {
        let from_env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let url = self
            .url
            .clone()
            .or_else(|| from_env("SIGHTLINE_URL"))
            .unwrap_or_else(|| DEFAULT_URL.to_owned());
        let token = self
            .auth_token
            .clone()
            .or_else(|| from_env("SIGHTLINE_AUTH_TOKEN"))
            .ok_or(CliError::MissingToken)?;
        let project = match self
            .project
            .clone()
            .or_else(|| from_env("SIGHTLINE_PROJECT"))
        {
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| CliError::InvalidProject(text))?,
            None => 1,
        };
        ApiClient::new(&url, &token, project)
    }
}

/// Runs `sightline releases COMMAND`, writing what it did to `out`.
///
/// # Errors
/// Any [`CliError`].
pub fn run_releases(
    server: &ServerOptions,
    command: ReleasesCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let client = server.client()?;
    match command {
        ReleasesCommand::New { version } => releases::create(&client, &version, out),
        ReleasesCommand::SetCommits {
            version,
            from_git,
            since,
        } => {
            let path = from_git.unwrap_or_else(|| PathBuf::from("."));
            releases::set_commits(&client, &version, &path, since.as_deref(), out)
        }
        ReleasesCommand::Deploy {
            version,
            environment,
            name,
        } => releases::deploy(&client, &version, &environment, name.as_deref(), out),
        ReleasesCommand::List => releases::list(&client, out),
    }
}

/// Runs `sightline ownership COMMAND`.
///
/// # Errors
/// Any [`CliError`].
pub fn run_ownership(
    server: &ServerOptions,
    command: OwnershipCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let client = server.client()?;
    match command {
        OwnershipCommand::Set { rules, codeowners } => {
            settings::set_ownership(&client, rules.as_deref(), codeowners.as_deref(), out)
        }
    }
}

/// Runs `sightline code-mappings COMMAND`.
///
/// # Errors
/// Any [`CliError`].
pub fn run_code_mappings(
    server: &ServerOptions,
    command: CodeMappingsCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let client = server.client()?;
    match command {
        CodeMappingsCommand::Add {
            stack_root,
            source_root,
        } => settings::add_code_mapping(&client, &stack_root, &source_root, out),
        CodeMappingsCommand::List => settings::list_code_mappings(&client, out),
    }
}

/// Runs `sightline users COMMAND`, reading a password from `input` when needed.
///
/// # Errors
/// Any [`CliError`].
pub fn run_users(
    server: &ServerOptions,
    command: UsersCommand,
    input: &mut dyn std::io::BufRead,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let client = server.client()?;
    match command {
        UsersCommand::Add {
            email,
            name,
            superuser,
            org,
            role,
        } => accounts::add_user(
            &client,
            &email,
            name.as_deref(),
            superuser,
            org.as_deref(),
            &role,
            input,
            out,
        ),
    }
}

/// Runs `sightline tokens COMMAND`.
///
/// # Errors
/// Any [`CliError`].
pub fn run_tokens(
    server: &ServerOptions,
    command: TokensCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let client = server.client()?;
    match command {
        TokensCommand::Create { scopes, label } => {
            accounts::create_token(&client, &scopes, label.as_deref(), out)
        }
    }
}

/// Runs `sightline keys COMMAND`.
///
/// # Errors
/// Any [`CliError`].
pub fn run_keys(
    server: &ServerOptions,
    command: KeysCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let client = server.client()?;
    match command {
        KeysCommand::Add { label } => accounts::add_key(&client, label.as_deref(), out),
        KeysCommand::List => accounts::list_keys(&client, out),
        KeysCommand::Revoke { public_key } => accounts::revoke_key(&client, &public_key, out),
    }
}
