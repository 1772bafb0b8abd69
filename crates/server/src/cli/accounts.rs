//! `sightline users add`, `sightline tokens create` and `sightline keys add | list | revoke`.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

use super::client::path_segment;
use super::{ApiClient, CliError};
use crate::auth::password::MAX_PASSWORD_BYTES;

/// Where `users add` reads the password: `SIGHTLINE_PASSWORD`, else the first line of `input`.
fn password(input: &mut dyn BufRead) -> Result<String, CliError> {
    if let Some(password) = std::env::var("SIGHTLINE_PASSWORD")
        .ok()
        .filter(|value| !value.is_empty())
    {
        return Ok(password);
    }
    let mut line = String::new();
    let limit = u64::try_from(MAX_PASSWORD_BYTES).unwrap_or(u64::MAX) + 2;
    std::io::Read::take(input, limit).read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(CliError::MissingPassword);
    }
    Ok(password)
}

/// Creates a user, with a membership when `org` is given.
///
/// # Errors
/// Any [`CliError`].
#[allow(clippy::too_many_arguments)]
pub(super) fn add_user(
    client: &ApiClient,
    email: &str,
    name: Option<&str>,
    superuser: bool,
    org: Option<&str>,
    role: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let password = password(input)?;
    let organizations: Vec<Value> = org
        .map(|slug| json!({"slug": slug, "role": role}))
        .into_iter()
        .collect();
    let (_, user) = client.post(
        "/api/0/users/",
        &json!({"email": email, "name": name.unwrap_or(""), "password": password,
                "is_superuser": superuser, "organizations": organizations}),
    )?;
    writeln!(
        out,
        "Created user {} (id {}){}.",
        user["email"].as_str().unwrap_or(email),
        user["id"],
        org.map(|slug| format!(", {role} of {slug}"))
            .unwrap_or_default()
    )?;
    Ok(())
}

/// Creates an API token of the caller with `scopes` and prints it (shown once).
///
/// # Errors
/// Any [`CliError`].
pub(super) fn create_token(
    client: &ApiClient,
    scopes: &[String],
    label: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (_, token) = client.post(
        "/api/0/api-tokens/",
        &json!({"label": label.unwrap_or(""), "scopes": scopes}),
    )?;
    writeln!(
        out,
        "Token {} (scopes: {}). It is shown only this once:",
        token["id"].as_str().unwrap_or("?"),
        scopes.join(", ")
    )?;
    writeln!(out, "{}", token["token"].as_str().unwrap_or_default())?;
    Ok(())
}

/// Adds a DSN key to the project and prints its DSN.
///
/// # Errors
/// Any [`CliError`].
pub(super) fn add_key(
    client: &ApiClient,
    label: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (_, key) = client.post(
        &client.project_path("keys/"),
        &json!({"label": label.unwrap_or("")}),
    )?;
    writeln!(
        out,
        "Added key {}.",
        key["public_key"].as_str().unwrap_or("?")
    )?;
    writeln!(out, "DSN: {}", key["dsn"].as_str().unwrap_or_default())?;
    Ok(())
}

/// Lists the project's DSN keys.
///
/// # Errors
/// Any [`CliError`].
pub(super) fn list_keys(client: &ApiClient, out: &mut dyn Write) -> Result<(), CliError> {
    let keys = client.get(&client.project_path("keys/"))?;
    for key in keys.as_array().into_iter().flatten() {
        let state = key["revoked_at"]
            .as_str()
            .map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
        writeln!(
            out,
            "{}  {}  {}  {}",
            key["public_key"].as_str().unwrap_or("?"),
            state,
            key["label"].as_str().unwrap_or(""),
            key["dsn"].as_str().unwrap_or("")
        )?;
    }
    Ok(())
}

/// Revokes one of the project's DSN keys.
///
/// # Errors
/// Any [`CliError`].
pub(super) fn revoke_key(
    client: &ApiClient,
    public_key: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    client.delete(&client.project_path(&format!("keys/{}/", path_segment(public_key))))?;
    writeln!(
        out,
        "Revoked key {public_key}: ingest with it is refused from now on."
    )?;
    Ok(())
}
