//! Package sealing: our code against Debian's 7-Zip, side by side, in one run.
//!
//! Builds the same two-file archive (a one-page PDF and its JSON, made here from invented data)
//! `RUNS` times with `archive::seal` and with `7zz a -mhe=on -p…`, and prints both medians and
//! the ratio. Target: ours ≤ 1.0 × 7zz. Both use 2^19 key-derivation rounds (7-Zip's default)
//! over the password alone, no salt (see `package::archive`).
//! Run with `cargo bench -p aanmelder-core --bench package`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aanmelder_core::package::archive;
use aanmelder_core::package::document::{Block, render};
use aanmelder_core::package::password::Password;

const RUNS: usize = 15;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let blocks: Vec<Block> = (0..30)
        .map(|i| {
            Block::Field(
                format!("Veld {i}"),
                "Nguyễn Thị Ánh, Boerenkrijglaan 12, 2260 Westerlo".into(),
            )
        })
        .collect();
    let pdf = render("Bench", "nl-BE", &blocks)?;
    let json = serde_json::to_vec_pretty(&serde_json::json!({
        "schema": "be.kindengezin.aanmelder.aanmelding",
        "reference": "AM-BENC-H000",
        "client": { "first_name": "Zoë", "last_name": "Müller", "street": "Kerkstraat 1" },
    }))?;
    let password = Password::generate().map_err(|e| e.to_string())?;
    let files: [(&str, &[u8]); 2] = [("aanmelding.pdf", &pdf), ("aanmelding.json", &json)];

    // Warm up both, so neither pays for a cold cache in the first sample.
    archive::seal(&files, &password)?;
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("aanmelding.pdf"), &pdf)?;
    std::fs::write(dir.path().join("aanmelding.json"), &json)?;
    let seven_zip = |run: usize| -> Result<Duration, Box<dyn std::error::Error>> {
        let out = format!("peer-{run}.7z");
        let start = Instant::now();
        let status = Command::new("7zz")
            .args([
                "a",
                "-t7z",
                "-mhe=on",
                &format!("-p{}", password.expose()),
                &out,
            ])
            .args(["aanmelding.pdf", "aanmelding.json"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        let elapsed = start.elapsed();
        if !status.success() {
            return Err("7zz failed: install it with scripts/setup.sh --test".into());
        }
        std::fs::remove_file(dir.path().join(out))?;
        Ok(elapsed)
    };
    seven_zip(0)?;

    let mut ours = Vec::with_capacity(RUNS);
    let mut peer = Vec::with_capacity(RUNS);
    let mut size = 0;
    // Interleaved, so background load hits both alike.
    for run in 0..RUNS {
        let start = Instant::now();
        size = archive::seal(&files, &password)?.len();
        ours.push(start.elapsed());
        peer.push(seven_zip(run + 1)?);
    }
    let (ours, peer) = (median(ours), median(peer));
    let ratio = ours.as_secs_f64() / peer.as_secs_f64();
    println!(
        "package seal: two files ({} + {} bytes), {RUNS} runs each",
        pdf.len(),
        json.len()
    );
    println!(
        "  aanmelder archive::seal  median {:>8.1} ms  ({size} bytes)",
        ours.as_secs_f64() * 1e3
    );
    println!(
        "  7zz a -mhe=on -p…        median {:>8.1} ms",
        peer.as_secs_f64() * 1e3
    );
    println!(
        "  ratio ours/7zz {ratio:.2} (target ≤ 1.00: {})",
        if ratio <= 1.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
