//! Outputs never overwrite inputs, and two outputs never share a file.
//!
//! Opening an output truncates it, and some commands open theirs before reading (the index
//! writes verdicts as it goes; `dedup` streams). A name comparison misses hard links, symbolic
//! links, a file given on standard input and files inside an input directory, so files are
//! compared by identity: device and inode on Unix, the canonical path elsewhere. Every file
//! that reading an input directory would read (and every file of the index's directory)
//! counts as an input.

use anyhow::Result;
use std::path::{Path, PathBuf};

/// What names one file whatever path reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileId {
    /// Device and inode.
    #[cfg(unix)]
    Inode(u64, u64),
    /// The canonical path (where there are no inodes).
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

/// The identity of the file at `path`, following links; `None` if it does not exist.
fn file_id(path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| FileId::Inode(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        path.canonicalize().ok().map(FileId::Path)
    }
}

/// Where an output would be written, for comparing outputs that do not exist yet: the
/// canonical folder and the file name.
fn future_path(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = parent.canonicalize().unwrap_or(parent);
    match path.file_name() {
        Some(name) => parent.join(name),
        None => parent,
    }
}

/// Every file an input stands for, with the name to show: the file itself, every file that
/// reading a directory would read (the reader's own listing, so a link loop ends), and
/// standard input's file for `-` (when it is one).
fn input_files(input: &Path, out: &mut Vec<(FileId, PathBuf)>) {
    if input == Path::new("-") {
        // Standard input redirected from a file is that file.
        #[cfg(target_os = "linux")]
        if let Some(id) = file_id(Path::new("/proc/self/fd/0")) {
            out.push((id, PathBuf::from("standard input")));
        }
        return;
    }
    let files = if input.is_dir() {
        reprint::read::document_files(input).unwrap_or_default()
    } else {
        vec![input.to_path_buf()]
    };
    out.extend(
        files
            .into_iter()
            .filter_map(|path| Some((file_id(&path)?, path))),
    );
}

/// A refusal, with the exit code of a usage error.
fn usage(message: String) -> anyhow::Error {
    reprint::Error::InvalidParameter(message).into()
}

/// Refuse when an output (`(flag, path)`, e.g. `("--output", out.jsonl)`) is one of the
/// `inputs` (files, files under directories, standard input) or another output. Nothing is
/// opened or written before this check.
pub fn check_outputs(outputs: &[(&str, &Path)], inputs: &[&Path]) -> Result<()> {
    if outputs.is_empty() {
        return Ok(());
    }
    let mut files = Vec::new();
    for input in inputs {
        input_files(input, &mut files);
    }
    for (k, (flag, output)) in outputs.iter().enumerate() {
        if let Some(id) = file_id(output) {
            if let Some((_, input)) = files.iter().find(|(i, _)| *i == id) {
                return Err(usage(format!(
                    "{flag} {} is also an input ({}): it would be overwritten; write elsewhere",
                    output.display(),
                    input.display()
                )));
            }
        }
        for (other_flag, other) in &outputs[..k] {
            let same = match (file_id(output), file_id(other)) {
                (Some(a), Some(b)) => a == b,
                _ => future_path(output) == future_path(other),
            };
            if same {
                return Err(usage(format!(
                    "{other_flag} and {flag} name one file ({}): each output needs its own",
                    output.display()
                )));
            }
        }
    }
    Ok(())
}

/// [`check_outputs`] for a command's one `--output`, when it has one.
pub fn check_output<'a>(
    output: Option<&Path>,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> Result<()> {
    let Some(output) = output else {
        return Ok(());
    };
    let inputs: Vec<&Path> = inputs.into_iter().collect();
    check_outputs(&[("--output", output)], &inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_that_is_an_input_by_any_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        std::fs::write(&input, "{}\n").unwrap();
        let link = dir.path().join("link.jsonl");
        std::fs::hard_link(&input, &link).unwrap();
        let fresh = dir.path().join("out.jsonl");
        assert!(check_outputs(&[("-o", &input)], &[&input]).is_err());
        assert!(check_outputs(&[("-o", &link)], &[&input]).is_err());
        // A file inside an input directory is an input, and a link loop there ends.
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path(), inner.join("loop")).unwrap();
        assert!(check_outputs(&[("-o", &link)], &[dir.path()]).is_err());
        assert!(check_outputs(&[("-o", &fresh)], &[&input]).is_ok());
        // Two outputs on one file, existing or not.
        let err = check_outputs(&[("-o", &fresh), ("--skipped", &fresh)], &[&input]);
        assert!(err.unwrap_err().to_string().contains("name one file"));
        let relative = dir.path().join(".").join("out.jsonl");
        assert!(check_outputs(&[("-o", &fresh), ("--skipped", &relative)], &[]).is_err());
        assert!(check_outputs(&[("-o", &fresh), ("--skipped", &link)], &[]).is_ok());
    }
}
