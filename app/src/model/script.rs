//! Startup scripts: what the pages show and the checks both the editor (as you type) and the
//! server (before `script/create` and `script/update`) make.

use serde::{Deserialize, Serialize};

use super::vm::NamedId;

/// Largest content the panel sends, in bytes, counted as stored (every line ending `\r\n`).
/// INFERRED: scripts become OpenStack user data, which Nova caps at 64 KiB; Luna Node's own
/// limit and wording are UNKNOWN, so the panel refuses above it itself, with a clear message.
pub const MAX_BYTES: usize = 65_535;
/// Longest name, in characters. INFERRED (the service's limit is UNKNOWN): the panel's own.
pub const MAX_NAME: usize = 64;

/// One row of the script list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptRow {
    pub id: String,
    pub name: String,
    /// Size as stored (`\r\n` line endings), in bytes.
    pub bytes: usize,
    pub lines: usize,
    /// What the first line makes it ([`Format`]).
    pub format: Format,
}

/// One script with its content (`\n` line endings) and the VMs the panel created with it
/// that still exist and the viewer may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptDetail {
    pub id: String,
    pub name: String,
    pub content: String,
    pub used_by: Vec<NamedId>,
}

/// What cloud-init makes of a script, by its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// `#!…`: run as a program on first boot.
    Shell,
    /// `#cloud-config`: YAML configuration.
    CloudConfig,
    /// Another cloud-init format (`#include`, `#cloud-boothook`, `#part-handler`, MIME).
    OtherCloudInit,
    /// None of these: cloud-init will not run it.
    Unknown,
}

impl Format {
    pub fn of(content: &str) -> Self {
        let first = content
            .trim_start_matches('\u{feff}')
            .lines()
            .next()
            .unwrap_or("");
        let first = first.trim_end();
        if first.starts_with("#!") {
            Format::Shell
        } else if first == "#cloud-config" {
            Format::CloudConfig
        } else if [
            "#include",
            "#cloud-boothook",
            "#part-handler",
            "#upstart-job",
        ]
        .iter()
        .any(|p| first.starts_with(p))
            || first
                .to_ascii_lowercase()
                .starts_with("content-type: multipart")
        {
            Format::OtherCloudInit
        } else {
            Format::Unknown
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Shell => "Shell script",
            Format::CloudConfig => "cloud-config",
            Format::OtherCloudInit => "cloud-init",
            Format::Unknown => "Not recognised",
        }
    }
}

/// The content's size as Luna Node stores it: every line ending counted as `\r\n`.
pub fn stored_bytes(content: &str) -> usize {
    let lf = content.replace("\r\n", "\n").replace('\r', "\n");
    lf.len() + lf.matches('\n').count()
}

/// Lines, as an editor counts them (an empty text has one).
pub fn line_count(content: &str) -> usize {
    content.replace("\r\n", "\n").split('\n').count()
}

/// The name's problem, if any.
pub fn check_name(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return Some("Give the script a name.".into());
    }
    if name.chars().count() > MAX_NAME {
        return Some(format!("At most {MAX_NAME} characters."));
    }
    if name.chars().any(char::is_control) {
        return Some("A name cannot hold line breaks or control characters.".into());
    }
    None
}

/// The content's problem, if any (a refusal; [`warning`] is advice).
pub fn check_content(content: &str) -> Option<String> {
    if content.trim().is_empty() {
        return Some("The script is empty.".into());
    }
    let bytes = stored_bytes(content);
    if bytes > MAX_BYTES {
        return Some(format!(
            "{} bytes: at most {} are accepted. Move large files elsewhere and fetch them from the script.",
            thousands(bytes),
            thousands(MAX_BYTES)
        ));
    }
    if content.contains('\0') {
        return Some("The script holds a NUL character (a binary file?).".into());
    }
    None
}

/// Advice on content that will be saved but probably not run.
pub fn warning(content: &str) -> Option<&'static str> {
    (Format::of(content) == Format::Unknown && !content.trim().is_empty()).then_some(
        "The first line is neither a shebang (#!/bin/bash) nor #cloud-config: cloud-init will not run this script.",
    )
}

/// `65535` as `65,535`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Starting points offered for a new script.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "Shell script",
        "#!/bin/bash\nset -euo pipefail\n\napt-get update\napt-get -y upgrade\n",
    ),
    (
        "cloud-config",
        "#cloud-config\npackage_update: true\npackage_upgrade: true\npackages:\n  - htop\n",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_first_line() {
        assert_eq!(Format::of("#!/bin/sh\necho"), Format::Shell);
        assert_eq!(
            Format::of("#cloud-config\r\nusers: []"),
            Format::CloudConfig
        );
        assert_eq!(Format::of("\u{feff}#!/usr/bin/env python3"), Format::Shell);
        assert_eq!(Format::of("#include\nhttps://x"), Format::OtherCloudInit);
        assert_eq!(
            Format::of("Content-Type: multipart/mixed; boundary=x"),
            Format::OtherCloudInit
        );
        assert_eq!(Format::of("apt-get update"), Format::Unknown);
        assert_eq!(Format::of(" #!/bin/sh"), Format::Unknown);
        assert!(warning("echo hi").is_some());
        assert!(warning("#!/bin/sh\necho hi").is_none());
        assert!(warning("").is_none());
    }

    #[test]
    fn sizes_count_crlf_as_stored() {
        assert_eq!(stored_bytes("a\nb"), 4);
        assert_eq!(stored_bytes("a\r\nb\rc"), 7);
        assert_eq!(stored_bytes("é"), 2);
        assert_eq!(line_count(""), 1);
        assert_eq!(line_count("a\r\nb\n"), 3);
        // 32,768 lines of one byte: 32,768 + 2 × 32,767 bytes stored.
        let big = vec!["x"; 32_768].join("\n");
        assert_eq!(stored_bytes(&big), 98_302);
        assert!(check_content(&big).unwrap().contains("98,302 bytes"));
        assert!(check_content(&"x".repeat(MAX_BYTES)).is_none());
        assert!(check_content(&"x".repeat(MAX_BYTES + 1)).is_some());
    }

    #[test]
    fn names_and_content_are_checked() {
        assert!(check_name("  ").is_some());
        assert!(check_name(&"n".repeat(65)).is_some());
        assert!(check_name("a\nb").is_some());
        assert!(check_name("web — setup").is_none());
        assert!(check_content(" \n ").is_some());
        assert!(check_content("#!/bin/sh\n\0").is_some());
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
