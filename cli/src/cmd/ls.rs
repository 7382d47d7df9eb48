//! `nsrun ls`: namespaces, like `lsns`, plus those held only by a persisted file.

use nsrun::Kind;

use crate::args::LsArgs;
use crate::exit::{fail, Res};

pub fn ls(a: LsArgs) -> Res<u8> {
    let kind = a
        .kind
        .as_deref()
        .map(str::parse::<Kind>)
        .transpose()
        .map_err(|e| fail(e.to_string()))?;
    let list = nsrun::list_namespaces(kind)?;
    if a.json {
        let rows: Vec<serde_json::Value> = list
            .iter()
            .map(|i| {
                serde_json::json!({
                    "ns": i.id.ino,
                    "dev": i.id.dev,
                    "type": i.kind.name(),
                    "nprocs": i.pids.len(),
                    "pids": i.pids,
                    "paths": i.paths.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "namespaces": rows }))
                .unwrap_or_default()
        );
        return Ok(0);
    }
    println!(
        "{:>12} {:<6} {:>6} {:>7}  PATH",
        "NS", "TYPE", "NPROCS", "PID"
    );
    for i in list {
        let pid = i
            .pids
            .first()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "-".into());
        let paths: Vec<String> = i.paths.iter().map(|p| p.display().to_string()).collect();
        println!(
            "{:>12} {:<6} {:>6} {:>7}  {}",
            i.id.ino,
            i.kind,
            i.pids.len(),
            pid,
            paths.join(",")
        );
    }
    Ok(0)
}
