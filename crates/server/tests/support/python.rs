//! Virtual environments with the official Python `sentry-sdk` from PyPI, created once under
//! the cargo target directory and reused (the check takes a fraction of a second).
//!
//! Needs `python3` with the `venv` module (Debian: `python3-venv`) and access to PyPI on the
//! first run. Set `SIGHTLINE_SKIP_SDK_TESTS=1` to skip these tests where that is impossible.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned `sentry-sdk` release the tests run against.
pub const SENTRY_SDK_VERSION: &str = "2.75.0";

/// The pinned `brotli` release; with it installed, the SDK compresses with `br`.
pub const BROTLI_VERSION: &str = "1.2.1";

/// The cargo target directory (parent of `CARGO_TARGET_TMPDIR`).
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Whether the environment asks to skip tests that need Python and PyPI.
pub fn skipped() -> bool {
    std::env::var_os("SIGHTLINE_SKIP_SDK_TESTS").is_some_and(|value| value != "0")
}

/// The Python interpreter of `target/{name}` with `sentry-sdk` (and `brotli` when `brotli`),
/// creating the environment if it is missing or holds other versions.
pub fn sdk_python(name: &str, brotli: bool) -> PathBuf {
    let venv = target_dir().join(name);
    let python = venv.join("bin").join("python");
    if is_ready(&python, brotli) {
        return python;
    }
    // Built under a temporary name and renamed, so a concurrent run never sees half of it.
    let building = target_dir().join(format!("{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&building),
        "python3 -m venv (install python3 and python3-venv)",
    );
    let mut packages = vec![format!("sentry-sdk=={SENTRY_SDK_VERSION}")];
    if brotli {
        packages.push(format!("brotli=={BROTLI_VERSION}"));
    }
    run(
        Command::new(building.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(&packages),
        "pip install from PyPI",
    );
    if !is_ready(&python, brotli) {
        let _ = std::fs::remove_dir_all(&venv);
        if std::fs::rename(&building, &venv).is_err() {
            // Another run finished first; use theirs.
            let _ = std::fs::remove_dir_all(&building);
        }
    } else {
        let _ = std::fs::remove_dir_all(&building);
    }
    assert!(
        is_ready(&python, brotli),
        "{} is not usable",
        venv.display()
    );
    python
}

fn is_ready(python: &Path, brotli: bool) -> bool {
    let check = format!(
        "import importlib.util, sys, sentry_sdk\n\
         has_brotli = importlib.util.find_spec('brotli') is not None\n\
         sys.exit(0 if sentry_sdk.VERSION == '{SENTRY_SDK_VERSION}' and has_brotli == {} else 1)",
        if brotli { "True" } else { "False" }
    );
    python.is_file()
        && Command::new(python)
            .args(["-c", &check])
            .output()
            .is_ok_and(|output| output.status.success())
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what} could not start: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}\nSet SIGHTLINE_SKIP_SDK_TESTS=1 to skip tests with real SDKs.",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
