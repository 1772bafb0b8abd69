//! Builds the browser bundles (`pkg/` and `target/viewer/`), the `sightline` binary and the demo
//! shop's backend (`sightline-demo-shop`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{setup, tool};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WASM_PROFILE: &str = "wasm-release";

/// Which profile the native binaries (`sightline`, `sightline-demo-shop`) are built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `target/debug/sightline`, what the tests run.
    Debug,
    /// `target/release/sightline`, what the demo runs.
    Release,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Release => "release",
        }
    }
}

/// Where the build put things, and how large the browser bundles are.
pub struct Report {
    /// The `sightline` binary.
    pub server: PathBuf,
    /// The demo shop's backend, `sightline-demo-shop`.
    pub demo_shop: PathBuf,
    files: Vec<(String, PathBuf)>,
}

impl Report {
    /// Lists the recorder's files (the JS snippets included) before the viewer's.
    fn recorder_first(mut self) -> Self {
        self.files
            .sort_by_key(|(label, _)| !label.starts_with("recorder"));
        self
    }

    /// Prints the bundle sizes, raw and after `gzip -9`.
    pub fn print(&self) {
        println!("built {}", self.server.display());
        println!("built {}", self.demo_shop.display());
        println!("{:<52} {:>10} {:>10}", "bundle file", "bytes", "gzip -9");
        let (mut recorder_raw, mut recorder_gzip) = (0, 0);
        for (label, path) in &self.files {
            let bytes = std::fs::read(path).unwrap_or_default();
            let gzip = gzip_size(&bytes);
            if label.starts_with("recorder") {
                recorder_raw += bytes.len();
                recorder_gzip += gzip;
            }
            println!("{label:<52} {:>10} {gzip:>10}", bytes.len());
        }
        println!(
            "{:<52} {recorder_raw:>10} {recorder_gzip:>10}",
            "recorder, everything a page loads"
        );
    }
}

/// Builds everything.
///
/// # Errors
/// When a build step fails.
pub fn all(profile: Profile) -> Result<Report> {
    let root = tool::root();
    let pkg = root.join("pkg");
    let viewer = root.join("target/viewer");
    build_wasm("sightline-recorder", "sightline_recorder", &pkg, true)?;
    write_package_json(&pkg)?;
    build_wasm("sightline-viewer", "sightline_viewer", &viewer, false)?;
    std::fs::copy(
        root.join("www/viewer/index.html"),
        viewer.join("index.html"),
    )
    .context("copying www/viewer/index.html")?;
    let mut cargo = tool::cargo();
    cargo.args(["build", "-p", "sightline-server", "--bin", "sightline"]);
    cargo.args(["-p", "sightline-demo-shop", "--bin", "sightline-demo-shop"]);
    if profile == Profile::Release {
        cargo.arg("--release");
    }
    tool::run(&mut cargo)?;
    Ok(Report {
        server: root.join("target").join(profile.dir()).join("sightline"),
        demo_shop: root
            .join("target")
            .join(profile.dir())
            .join("sightline-demo-shop"),
        files: [
            (
                "recorder pkg/sightline_recorder_bg.wasm",
                pkg.join("sightline_recorder_bg.wasm"),
            ),
            (
                "recorder pkg/sightline_recorder.js",
                pkg.join("sightline_recorder.js"),
            ),
            (
                "recorder loader www/sdk/sightline.js",
                root.join("www/sdk/sightline.js"),
            ),
            (
                "viewer target/viewer/sightline_viewer_bg.wasm",
                viewer.join("sightline_viewer_bg.wasm"),
            ),
            (
                "viewer target/viewer/sightline_viewer.js",
                viewer.join("sightline_viewer.js"),
            ),
        ]
        .into_iter()
        .map(|(label, path)| (label.to_owned(), path))
        .chain(snippets(&pkg))
        .collect::<Vec<_>>(),
    }
    .recorder_first())
}

/// The JS snippets wasm-bindgen copied under `pkg/snippets/` (the recorder's page hooks), which
/// a page loads too.
fn snippets(pkg: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut dirs = vec![pkg.join("snippets")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|extension| extension == "js") {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                found.push((format!("recorder pkg/snippets/…/{name}"), path));
            }
        }
    }
    found.sort();
    found
}

/// Compiles `package` to wasm, generates its JS bindings into `out_dir` and shrinks it.
fn build_wasm(package: &str, name: &str, out_dir: &Path, typescript: bool) -> Result<()> {
    tool::run(tool::cargo().args([
        "build",
        "-p",
        package,
        "--lib",
        "--target",
        WASM_TARGET,
        "--profile",
        WASM_PROFILE,
    ]))?;
    let input = tool::root()
        .join("target")
        .join(WASM_TARGET)
        .join(WASM_PROFILE)
        .join(format!("{name}.wasm"));
    let mut bindgen = Command::new("wasm-bindgen");
    bindgen
        .args(["--target", "web", "--out-name", name, "--out-dir"])
        .arg(out_dir)
        .arg(&input);
    if !typescript {
        bindgen.arg("--no-typescript");
    }
    tool::run(&mut bindgen)?;
    let wasm = out_dir.join(format!("{name}_bg.wasm"));
    // Measured on both bundles: -O1 gives the smallest file after gzip -9 (rustc already ran at
    // opt-level z with LTO; -Oz or -Os shrink the raw file but compress worse than the input).
    tool::run(
        Command::new(setup::wasm_opt())
            .args([
                "-O1",
                "--strip-debug",
                "--strip-producers",
                "--strip-target-features",
                "-o",
            ])
            .arg(&wasm)
            .arg(&wasm),
    )
}

fn write_package_json(pkg: &Path) -> Result<()> {
    let manifest = serde_json::json!({
        "name": "sightline-recorder",
        "description": "Sightline's browser SDK: session replay, JS errors and trace propagation.",
        "version": env!("CARGO_PKG_VERSION"),
        "license": env!("CARGO_PKG_LICENSE"),
        "type": "module",
        "main": "sightline_recorder.js",
        "module": "sightline_recorder.js",
        "types": "sightline_recorder.d.ts",
        "files": [
            "sightline_recorder.js",
            "sightline_recorder.d.ts",
            "sightline_recorder_bg.wasm",
            "sightline_recorder_bg.wasm.d.ts",
            "snippets/"
        ],
        "sideEffects": false
    });
    std::fs::write(
        pkg.join("package.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    Ok(())
}

/// Size of `bytes` after gzip at level 9.
pub fn gzip_size(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    if encoder.write_all(bytes).is_err() {
        return 0;
    }
    encoder.finish().map_or(0, |out| out.len())
}
