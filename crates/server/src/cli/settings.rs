//! `sightline ownership set` and `sightline code-mappings add | list`.

use std::io::{Read, Write};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::{ApiClient, CliError};
use crate::ownership::MAX_OWNERSHIP_TEXT_BYTES;

/// Reads a rules or `CODEOWNERS` file, refusing one larger than the server accepts.
fn read_text(path: &Path) -> Result<String, CliError> {
    let failed = |reason: String| CliError::File {
        path: path.to_owned(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|error| failed(error.to_string()))?;
    let limit = u64::try_from(MAX_OWNERSHIP_TEXT_BYTES).unwrap_or(u64::MAX);
    let mut text = String::new();
    file.take(limit + 1)
        .read_to_string(&mut text)
        .map_err(|error| failed(error.to_string()))?;
    if text.len() > MAX_OWNERSHIP_TEXT_BYTES {
        return Err(failed(format!(
            "larger than {MAX_OWNERSHIP_TEXT_BYTES} bytes, the most the server accepts"
        )));
    }
    Ok(text)
}

/// Uploads ownership rules and/or `CODEOWNERS`.
pub(super) fn set_ownership(
    client: &ApiClient,
    rules: Option<&Path>,
    codeowners: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut body = Map::new();
    if let Some(path) = rules {
        body.insert("rules".to_owned(), Value::String(read_text(path)?));
    }
    if let Some(path) = codeowners {
        body.insert("codeowners".to_owned(), Value::String(read_text(path)?));
    }
    client.put(&client.project_path("ownership/"), &Value::Object(body))?;
    for (what, path) in [("ownership rules", rules), ("CODEOWNERS", codeowners)] {
        if let Some(path) = path {
            writeln!(out, "Uploaded {what} from {}.", path.display())?;
        }
    }
    Ok(())
}

/// Adds (or updates) a code mapping.
pub(super) fn add_code_mapping(
    client: &ApiClient,
    stack_root: &str,
    source_root: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (status, mapping) = client.post(
        &client.project_path("code-mappings/"),
        &json!({ "stack_root": stack_root, "source_root": source_root }),
    )?;
    let verb = if status == 201 { "Added" } else { "Updated" };
    writeln!(
        out,
        "{verb} code mapping {}: {stack_root} -> {}",
        mapping["id"].as_str().unwrap_or_default(),
        if source_root.is_empty() {
            "(repository root)"
        } else {
            source_root
        }
    )?;
    Ok(())
}

/// Lists the code mappings.
pub(super) fn list_code_mappings(client: &ApiClient, out: &mut dyn Write) -> Result<(), CliError> {
    let mappings = client.get(&client.project_path("code-mappings/"))?;
    let mappings = mappings.as_array().cloned().unwrap_or_default();
    if mappings.is_empty() {
        writeln!(out, "No code mappings.")?;
    }
    for mapping in &mappings {
        writeln!(
            out,
            "{}: {} -> {}",
            mapping["id"].as_str().unwrap_or_default(),
            mapping["stack_root"].as_str().unwrap_or_default(),
            mapping["source_root"].as_str().unwrap_or_default(),
        )?;
    }
    Ok(())
}
