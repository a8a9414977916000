#pragma once
// Files the launcher writes or reads back in folders others may also write
// to (output/, ~/.ssh/): never through a symbolic link. A link planted at a
// file's name or at its temporary's name would otherwise make us overwrite
// the link's target (the temporary) or copy its target's contents into what
// SageMaker uploads (the failure file). Every open is O_NOFOLLOW and made
// relative to the folder (openat), new files are O_TMPFILE or O_CREAT|O_EXCL,
// and a file is replaced by renaming a complete temporary over it, so a
// reader never sees half of it.
#include <cstddef>
#include <optional>
#include <string>

namespace ringsim {

// The contents of the regular file `path`, or nullopt when there is none.
// Throws IoError naming `path` when it is a symbolic link, not a regular
// file, over `max_bytes` or unreadable.
std::optional<std::string> read_file_no_follow(const std::string& path, std::size_t max_bytes);

// Makes `path` hold exactly `text` with permissions `mode`: the bytes go to
// an unnamed file in the same folder (or, without O_TMPFILE, to a new
// PATH.tmp.PID made with O_EXCL), named PATH.tmp.PID (whatever stood there
// is removed, never followed) and renamed over `path` (a link at `path` is
// replaced, its target untouched). Creates the folder if missing. Throws
// IoError naming `path`.
void replace_file_no_follow(const std::string& path, const std::string& text, unsigned mode = 0644);

}  // namespace ringsim
