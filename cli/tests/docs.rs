//! Man pages and completions: every visible (sub)command has a page that `man -l` renders
//! without a groff warning, and the bash completion script loads in bash.

use std::path::{Path, PathBuf};
use std::process::Command;

const NSRUN: &str = env!("CARGO_BIN_EXE_nsrun");

/// A scratch directory named after this process, removed on drop (even if the test fails).
struct Scratch(PathBuf);
impl Scratch {
    fn new(what: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("nsrun-test-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Scratch(p)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `nsrun`, `nsrun-netns`, `nsrun-netns-exec`, …: the page names of every visible command.
fn page_names(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
    let name = if prefix.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{prefix}-{}", cmd.get_name())
    };
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() != "help" {
            page_names(sub, &name, out);
        }
    }
    out.push(name);
}

/// man's output without grotty's overstrikes (`N\x08N` bold, `_\x08x` underline).
fn plain(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if c == '\x08' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn every_command_has_a_man_page_that_renders() {
    let dir = Scratch::new("man");
    let st = Command::new(NSRUN).arg("man").arg(&dir.0).status().unwrap();
    assert!(st.success());
    let mut names = Vec::new();
    page_names(&nsrun_cli::command(), "", &mut names);
    assert!(names.len() > 15, "{names:?}");
    let mut pages: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    let mut want: Vec<String> = names.iter().map(|n| format!("{n}.1")).collect();
    want.sort();
    assert_eq!(pages, want, "one page per visible command, no other");
    assert!(
        has("man"),
        "man (man-db) is needed to check the pages: make deps installs it"
    );
    for name in &names {
        let page = dir.0.join(format!("{name}.1"));
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&page)
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        let text = plain(&String::from_utf8_lossy(&out.stdout));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.trim().is_empty(), "{name}: groff warnings: {stderr}");
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION"] {
            assert!(text.contains(section), "{name}: no {section}:\n{text}");
        }
    }
    let run = std::fs::read_to_string(dir.0.join("nsrun-run.1")).unwrap();
    assert!(
        run.contains("JOINS") && run.contains("unshare"),
        "--net=FILE's meaning"
    );
}

#[test]
fn completions_load_in_their_shells() {
    let dir = Scratch::new("compl");
    std::fs::create_dir_all(&dir.0).unwrap();
    for (shell, file, check) in [
        ("bash", "nsrun.bash", Some("bash")),
        ("zsh", "_nsrun", has("zsh").then_some("zsh")),
        ("fish", "nsrun.fish", has("fish").then_some("fish")),
    ] {
        let out = Command::new(NSRUN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["netns", "boot", "propagation"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        let path: &Path = &dir.0.join(file);
        std::fs::write(path, &script).unwrap();
        if let Some(sh) = check {
            // bash: source it and ask for the registration; zsh/fish: syntax check.
            let arg = match sh {
                "bash" => format!("source {} && complete -p nsrun", path.display()),
                _ => String::new(),
            };
            let out = if sh == "bash" {
                Command::new("bash").args(["-c", &arg]).output().unwrap()
            } else {
                Command::new(sh).arg("-n").arg(path).output().unwrap()
            };
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{sh}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if sh == "bash" {
                assert!(stdout.contains("-F _nsrun nsrun"), "{stdout}");
            }
        }
    }
    let bad = Command::new(NSRUN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(125));
}
