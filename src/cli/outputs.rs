//! Outputs never overwrite inputs, two outputs never share a file, and an output appears whole
//! or not at all. `-` names standard output, as it does for every Unix tool.
//!
//! A file output is written under a hidden temporary name beside its target and renamed over
//! it when the command succeeds ([`Output::finish`]); on an error, or on SIGINT, SIGTERM or
//! SIGHUP, the temporary file is removed and the target is left as it was. Standard output, and
//! a target that is not a regular file (`/dev/null`, a pipe), are written directly.
//!
//! Opening an output truncates it, and some commands open theirs before reading (the index
//! writes verdicts as it goes; `dedup` streams). A name comparison misses hard links, symbolic
//! links, a file given on standard input and files inside an input directory, so files are
//! compared by identity: device and inode on Unix, the canonical path elsewhere. Every file
//! that reading an input directory would read (and every file of the index's directory)
//! counts as an input.

use anyhow::Result;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

/// Temporary files of outputs not yet finished, and the run's temporary directory, removed if
/// the process is interrupted.
static PARTIALS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Give the run a temporary directory of its own inside the system's (`TMPDIR`), for every
/// temporary file the library makes (sort runs spilled under a memory limit, shingle sets):
/// removed when the returned guard drops, and on SIGINT, SIGTERM or SIGHUP, which exit without
/// running destructors. Without it an interrupted run would leave its spilled runs behind.
pub fn run_temp_dir() -> Result<tempfile::TempDir> {
    install_interrupt_handler();
    // Created and registered under the lock the handler takes, so an interruption in between
    // waits for the registration and then removes the directory.
    let mut partials = PARTIALS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::Builder::new()
        .prefix("reprint-run-")
        .tempdir()
        .map_err(|e| reprint::Error::io(std::env::temp_dir(), e))?;
    partials.push(dir.path().to_path_buf());
    drop(partials);
    // Only the first call in a process sets it, which is the one call the binary makes.
    let _ = tempfile::env::override_temp_dir(dir.path());
    Ok(dir)
}

/// Whether an output path names standard output (`-`).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Refuse to write a binary format (`what`) to a terminal: it would only garble the screen.
pub fn refuse_binary_on_terminal(output: Option<&Path>, what: &str) -> Result<()> {
    let to_stdout = output.is_none_or(is_stdout);
    if to_stdout && io::stdout().is_terminal() {
        return Err(usage(format!(
            "{what} is binary and standard output is a terminal: write it with -o FILE, or \
             redirect standard output"
        )));
    }
    Ok(())
}

/// Remember `path` as a temporary file (or directory) to remove on interruption (see
/// [`install_interrupt_handler`]).
pub fn register_partial(path: &Path) {
    install_interrupt_handler();
    if let Ok(mut partials) = PARTIALS.lock() {
        partials.push(path.to_path_buf());
    }
}

/// Install, once, the handler of SIGINT, SIGTERM and SIGHUP that removes every registered
/// temporary file and directory and exits with status 130.
fn install_interrupt_handler() {
    static HANDLER: Once = Once::new();
    HANDLER.call_once(|| {
        // Without a handler (another one is installed) interruption still stops the process;
        // only the clean-up is lost.
        let _ = ctrlc::set_handler(|| {
            if let Ok(partials) = PARTIALS.lock() {
                for partial in partials.iter() {
                    if partial.is_dir() {
                        // Other threads may still be creating files in it (a sort's runs):
                        // removal that races them fails, so try again a few times. Once the
                        // directory is gone nothing recreates it.
                        for _ in 0..50 {
                            if std::fs::remove_dir_all(partial).is_ok() || !partial.exists() {
                                break;
                            }
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                    } else {
                        let _ = std::fs::remove_file(partial);
                    }
                }
            }
            std::process::exit(130);
        });
    });
}

/// Forget `path` (renamed into place or removed).
pub fn unregister_partial(path: &Path) {
    if let Ok(mut partials) = PARTIALS.lock() {
        partials.retain(|p| p != path);
    }
}

/// One output of a command, buffered (see the module's documentation).
pub struct Output {
    writer: BufWriter<Box<dyn Write + Send>>,
    /// The temporary file and its target, until finished.
    rename: Option<(PathBuf, PathBuf)>,
}

impl Output {
    /// Standard output (`None` or `-`), or the file at `path`.
    pub fn create(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path.filter(|p| !is_stdout(p)) else {
            return Ok(Output::over(Box::new(io::stdout()), None));
        };
        let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
        if special {
            let file = File::create(path).map_err(|e| reprint::Error::io(path, e))?;
            return Ok(Output::over(Box::new(file), None));
        }
        let name = path
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let partial = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        register_partial(&partial);
        match File::create(&partial) {
            Ok(file) => Ok(Output::over(
                Box::new(file),
                Some((partial, path.to_path_buf())),
            )),
            Err(e) => {
                unregister_partial(&partial);
                Err(reprint::Error::io(path, e).into())
            }
        }
    }

    fn over(sink: Box<dyn Write + Send>, rename: Option<(PathBuf, PathBuf)>) -> Self {
        Output {
            writer: BufWriter::with_capacity(1 << 16, sink),
            rename,
        }
    }

    /// Write what is buffered and put the file in place: the command succeeded.
    pub fn finish(mut self) -> Result<()> {
        let target = self
            .rename
            .as_ref()
            .map_or_else(|| "-".into(), |(_, t)| t.clone());
        self.writer
            .flush()
            .map_err(|e| reprint::Error::io(&target, e))?;
        if let Some((partial, target)) = self.rename.take() {
            let renamed = std::fs::rename(&partial, &target);
            if renamed.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            unregister_partial(&partial);
            renamed.map_err(|e| reprint::Error::io(&target, e))?;
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not finished: the command failed, and its output must not look complete.
        if let Some((partial, _)) = self.rename.take() {
            let _ = std::fs::remove_file(&partial);
            unregister_partial(&partial);
        }
    }
}

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

use crate::cli::usage;

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
        if is_stdout(output) {
            if let Some((other_flag, _)) = outputs[..k].iter().find(|(_, o)| is_stdout(o)) {
                return Err(usage(format!(
                    "{other_flag} and {flag} are both standard output: each output needs its own"
                )));
            }
            continue;
        }
        if let Some(id) = file_id(output) {
            if let Some((_, input)) = files.iter().find(|(i, _)| *i == id) {
                return Err(usage(format!(
                    "{flag} {} is also an input ({}): it would be overwritten; write elsewhere",
                    output.display(),
                    input.display()
                )));
            }
        }
        for (other_flag, other) in outputs[..k].iter().filter(|(_, o)| !is_stdout(o)) {
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
        // `-` is standard output: never an input's file, and only one output may take it.
        let stdout = Path::new("-");
        assert!(check_outputs(&[("-o", stdout)], &[&input]).is_ok());
        assert!(check_outputs(&[("-o", stdout), ("--skipped", &fresh)], &[]).is_ok());
        let err = check_outputs(&[("-o", stdout), ("--skipped", stdout)], &[]);
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("both standard output"));
    }
}
