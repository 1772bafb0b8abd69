//! Installs the tools the build and the tests need, only when they are missing.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::tool;

/// Debian packages and the programs they provide.
const WASM_OPT: (&str, &str) = ("wasm-opt", "binaryen");
const BROWSER: [(&str, &str); 2] = [
    ("chromium", "chromium"),
    ("chromedriver", "chromium-driver"),
];

/// Installs the wasm32 target, the pinned `wasm-bindgen-cli` and `wasm-opt`; with `browser`, also
/// Debian's Chromium and ChromeDriver.
///
/// # Errors
/// When an install step fails.
pub fn install(browser: bool) -> Result<()> {
    install_wasm_target()?;
    install_wasm_bindgen()?;
    let mut packages = Vec::new();
    if !tool::exists(WASM_OPT.0) {
        packages.push(WASM_OPT.1);
    }
    if browser {
        packages.extend(
            BROWSER
                .iter()
                .filter(|(program, _)| !tool::exists(program))
                .map(|(_, package)| *package),
        );
    }
    apt_install(&packages)
}

fn install_wasm_target() -> Result<()> {
    let installed = tool::output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    tool::run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The exact `wasm-bindgen` version pinned in the workspace `Cargo.toml`.
pub fn pinned_wasm_bindgen() -> Result<String> {
    let manifest = std::fs::read_to_string(tool::root().join("Cargo.toml"))?;
    manifest
        .lines()
        .find_map(|line| {
            let rest = line.trim().strip_prefix("wasm-bindgen = \"=")?;
            Some(rest.trim_end_matches('"').to_owned())
        })
        .context("the workspace Cargo.toml must pin wasm-bindgen with `=`")
}

fn install_wasm_bindgen() -> Result<()> {
    let version = pinned_wasm_bindgen()?;
    let current = tool::output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if current.split_whitespace().nth(1) == Some(version.as_str()) {
        return Ok(());
    }
    // Not `--locked`: one of the CLI's locked dependencies is missing from the registry mirror.
    tool::run(tool::cargo().args(["install", "wasm-bindgen-cli", "--version", &version]))
}

fn apt_install(packages: &[&str]) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    let is_root = tool::output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| {
        let mut command = if is_root {
            Command::new("apt-get")
        } else if tool::exists("sudo") {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        } else {
            bail!(
                "missing {}: install them with apt-get as root",
                packages.join(", ")
            );
        };
        command.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        tool::run(&mut command)
    };
    apt(&["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q"];
    args.extend_from_slice(packages);
    apt(&args)
}
