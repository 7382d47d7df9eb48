//! The C reference is the header: every function's comment in include/nsrun.h (copied by
//! cbindgen from capi/src/*.rs) says which errno values it sets and its thread rules.

#[test]
fn every_function_documents_errno_and_threads() {
    let header = include_str!("../../include/nsrun.h");
    let mut comment = String::new();
    let mut in_comment = false;
    let mut seen = 0;
    let mut missing = Vec::new();
    for line in header.lines() {
        let t = line.trim();
        if t.starts_with("/*") {
            in_comment = true;
            comment.clear();
        }
        if in_comment {
            comment.push_str(t);
            comment.push('\n');
            if t.ends_with("*/") {
                in_comment = false;
            }
            continue;
        }
        // A prototype: "TYPE nsrun_xxx(" outside typedefs.
        let Some(at) = t.find("nsrun_") else { continue };
        let name: String = t[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if t.starts_with("typedef") || !t[at..].starts_with(&format!("{name}(")) {
            continue;
        }
        seen += 1;
        for needle in ["Errors (errno):", "Threads:"] {
            if !comment.contains(needle) {
                missing.push(format!("{name}: no {needle:?}"));
            }
        }
        comment.clear();
    }
    assert!(seen > 40, "only {seen} prototypes found");
    assert!(missing.is_empty(), "{missing:#?}");
}
