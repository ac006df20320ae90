//! The file classes: inputs that are not regular files, long target names, and the
//! temporary files of killed saves.

use std::path::{Path, PathBuf};

use super::tests::models;
use super::*;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ncf-file-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A model path that is `/dev/zero`, a link to it, or a folder grew the process past
/// 3 GB or said `ERR_PARSE`; now each is `ERR_IO` naming the path, before a byte is read.
#[cfg(unix)]
#[test]
fn devices_links_to_devices_and_folders_are_refused_before_reading() {
    let dir = scratch("dev");
    let link = dir.join("model.ncf");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    for (path, says) in
        [(Path::new("/dev/zero"), "not a regular file"), (&link, "not a regular file"), (&dir, "a folder")]
    {
        let e = load(path).map(|_| ()).unwrap_err();
        assert_eq!(e.code(), "ERR_IO", "{e}");
        assert!(e.to_string().starts_with(&format!("cannot read {}: ", path.display())), "{e}");
        assert!(e.to_string().contains(says), "{e}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A valid 240-character file name failed to save (its temporary name was longer
/// than the file system allows).
#[test]
fn a_240_character_name_saves() {
    let dir = scratch("long");
    let path = dir.join(format!("{}.ncf", "m".repeat(236)));
    assert_eq!(path.file_name().unwrap().len(), 240);
    save(&path, &models()[0], Extras::default()).unwrap();
    assert_eq!(load(&path).unwrap().params, models()[0]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each save killed mid-write left its temporary file (354 MB after 10 kills). The
/// next save to that path removes those of processes that are gone; other targets' temporary
/// files and a live writer's are left alone.
#[test]
fn the_next_save_removes_what_killed_saves_left() {
    let dir = scratch("stale");
    let path = dir.join("model.ncf");
    let prefix = format!(".ncf-{:08x}-", crc32c::crc32c(b"model.ncf"));
    // No process has pid 4,000,000,000 (Linux caps pids at 2²²), so these writers are gone.
    let dead = [format!("{prefix}4000000000-000000001.tmp"), format!("{prefix}4000000000-123456789.tmp")];
    let live = format!("{prefix}{}-000000002.tmp", std::process::id());
    let other = format!(".ncf-{:08x}-4000000000-000000003.tmp", crc32c::crc32c(b"other.ncf"));
    for name in dead.iter().chain([&live, &other]) {
        std::fs::write(dir.join(name), vec![7u8; 1 << 16]).unwrap();
    }
    save(&path, &models()[1], Extras::default()).unwrap();
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    let mut want = vec!["model.ncf".to_string(), other, live];
    if !Path::new("/proc/self").exists() {
        // Without /proc only age says a writer is gone: the fresh ones stay.
        want.extend(dead);
    }
    want.sort();
    assert_eq!(left, want);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A save, an export or a checkpoint replaced whatever was at its path: as root, a device
/// node such as /dev/null became a regular file. Now only a regular file (or nothing) is
/// replaced; a link is written through to its target and stays a link; anything else is
/// `ERR_IO` naming the path and what is there, and is left as it was.
#[cfg(unix)]
#[test]
fn writes_replace_only_regular_files_and_write_through_links() {
    use std::os::unix::fs::{FileTypeExt, symlink};
    let dir = scratch("targets");
    let fifo = dir.join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let socket = dir.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let folder = dir.join("folder");
    std::fs::create_dir(&folder).unwrap();
    let to_folder = dir.join("to-folder");
    symlink(&folder, &to_folder).unwrap();
    let dangling = dir.join("dangling");
    symlink(dir.join("nothing"), &dangling).unwrap();
    for (path, says) in [
        (&fifo, "it is a FIFO"),
        (&socket, "it is a socket"),
        (&folder, "it is a folder"),
        (&to_folder, "it is a link to a folder"),
        (&dangling, "it is a link to nothing"),
    ] {
        let e = write_atomic(path, b"bytes").unwrap_err();
        assert_eq!(e.code(), "ERR_IO", "{e}");
        assert!(e.to_string().starts_with(&format!("cannot write {}: {says}", path.display())), "{e}");
    }
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO is left as it was");
    assert!(std::fs::symlink_metadata(&socket).unwrap().file_type().is_socket());
    assert!(folder.is_dir() && std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());

    // A link to a regular file: the target gets the bytes, the link stays a link.
    let real = dir.join("real.ncf");
    std::fs::write(&real, b"old").unwrap();
    let link = dir.join("current.ncf");
    symlink(&real, &link).unwrap();
    write_atomic(&link, b"new").unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), b"new");
    // A new file and a regular file are written as before.
    write_atomic(&dir.join("fresh.ncf"), b"a").unwrap();
    write_atomic(&real, b"b").unwrap();
    assert_eq!(
        (std::fs::read(dir.join("fresh.ncf")).unwrap(), std::fs::read(&real).unwrap()),
        (b"a".to_vec(), b"b".to_vec())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
