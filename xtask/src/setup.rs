//! Installs the tools the build and the tests need, only when they are missing.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::tool;

/// binaryen from the npm registry, pinned. Debian's binaryen 108 is too old for what wasm-bindgen
/// 0.2.130 emits: its output fails to instantiate ("WebAssembly.Table.set(): … must be a Wasm
/// function object", or an invalid `(ref …)` type with `--all-features`).
const BINARYEN_NPM: &str = "binaryen@132.0.0";

/// Debian packages and the programs they provide.
const BROWSER: [(&str, &str); 2] = [
    ("chromium", "chromium"),
    ("chromedriver", "chromium-driver"),
];

/// Installs the wasm32 target, the pinned `wasm-bindgen-cli` and `wasm-opt` (binaryen from npm,
/// under `target/tools/`); with `browser` (the test setup), also Debian's Chromium and ChromeDriver
/// and Python's `venv`.
///
/// # Errors
/// When an install step fails.
pub fn install(browser: bool) -> Result<()> {
    install_wasm_target()?;
    install_wasm_bindgen()?;
    install_wasm_opt()?;
    if !browser {
        return Ok(());
    }
    let mut packages: Vec<&str> = BROWSER
        .iter()
        .filter(|(program, _)| !tool::exists(program))
        .map(|(_, package)| *package)
        .collect();
    // The SDK compatibility tests create virtual environments and pip-install the official
    // Python SDK into them.
    if tool::output("python3", &["-m", "venv", "--help"]).is_none() {
        packages.extend(["python3", "python3-venv", "python3-pip"]);
    }
    apt_install(&packages)
}

/// The `wasm-opt` that `install` provides.
pub fn wasm_opt() -> std::path::PathBuf {
    tool::root().join("target/tools/node_modules/.bin/wasm-opt")
}

fn install_wasm_opt() -> Result<()> {
    let wanted = BINARYEN_NPM.rsplit('@').next().unwrap_or_default();
    let major = wanted.split('.').next().unwrap_or_default();
    let installed = tool::output(&wasm_opt().to_string_lossy(), &["--version"]).unwrap_or_default();
    if installed.contains(&format!("version {major}")) {
        return Ok(());
    }
    if !tool::exists("npm") {
        apt_install(&["npm"])?;
    }
    let prefix = tool::root().join("target/tools");
    std::fs::create_dir_all(&prefix)?;
    tool::run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(&prefix)
            .arg(BINARYEN_NPM),
    )
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
