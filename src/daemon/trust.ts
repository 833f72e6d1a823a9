/**
 * The local trust boundary, as pure judgements over what `lstat` says about each component of a path (from `/` down,
 * symlinks already resolved): may the engine listen in this runtime directory, and may a client trust this socket?
 *
 * The question behind both is "who could have put this here?". A name inside a directory can be created (or replaced)
 * by the directory's owner and by anyone who may write to it; the sticky bit stops others from removing or renaming
 * what they do not own, but not from creating a name first. So:
 * - the engine listens only in a directory it owns that no group or other user may write, under ancestors owned by
 *   root or itself that nobody else may write (sticky ones such as /tmp excepted);
 * - a client trusts a socket when the socket's owner O also owns its directory (or root does), nobody but O may write
 *   that directory, and every component on the way was either created by root / the client itself, or sits in a
 *   directory nobody but its owner may write. A directory under /tmp owned by another user could have been made by any
 *   user (the `/tmp/nocflow-<uid>` squat); one under a root-owned /run could only have been handed to O by root
 *   (systemd's RuntimeDirectory=).
 */

/** One path component as lstat saw it. */
export interface PathNode {
  path: string;
  uid: number;
  gid: number;
  /** st_mode: file type bits and permission bits. */
  mode: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFSOCK = 0o140000;
const S_IFLNK = 0o120000;
const STICKY = 0o1000;
/** Write permission for the group or for others. */
const SHARED_WRITE = 0o022;

const isDir = (n: PathNode) => (n.mode & S_IFMT) === S_IFDIR;
const octal = (n: PathNode) => (n.mode & 0o7777).toString(8).padStart(4, '0');
const sharedWritable = (n: PathNode) => (n.mode & SHARED_WRITE) !== 0;
const sticky = (n: PathNode) => (n.mode & STICKY) !== 0;

/** Ancestors: owned by a trusted user, and nobody else may write them unless they are sticky. */
function judgeAncestors(chain: PathNode[], trusted: (uid: number) => boolean): string | undefined {
  for (const n of chain) {
    if ((n.mode & S_IFMT) === S_IFLNK) return `${n.path} is a symbolic link (resolve it first)`;
    if (!isDir(n)) return `${n.path} is not a directory`;
    if (!trusted(n.uid)) return `${n.path} is owned by uid ${n.uid}, who could replace what lies under it`;
    if (sharedWritable(n) && !sticky(n)) return `${n.path} (mode ${octal(n)}) may be written by other users, who could replace what lies under it`;
  }
  return undefined;
}

/**
 * May an engine running as `self` listen in the last component of `chain` (its runtime directory)? Undefined when it
 * may; otherwise why not, in words an operator can act on.
 */
export function judgeRuntimeDir(chain: PathNode[], self: number): string | undefined {
  const dir = chain.at(-1);
  if (!dir) return 'empty path';
  if (!isDir(dir)) return `${dir.path} is not a directory`;
  if (dir.uid !== self) return `runtime directory ${dir.path} belongs to uid ${dir.uid}, not to the engine's user (uid ${self}): another user could replace the socket; use a directory of your own (NOCFLOW_RUNTIME_DIR) or remove it`;
  if (sharedWritable(dir)) return `runtime directory ${dir.path} (mode ${octal(dir)}) may be written by other users, who could replace the socket: chmod 0750 ${dir.path}`;
  const why = judgeAncestors(chain.slice(0, -1), (uid) => uid === 0 || uid === self);
  return why ? `runtime directory ${dir.path} is not safe: ${why}` : undefined;
}

/**
 * May a client running as `self` trust the socket that is the last component of `chain`? Undefined when it may;
 * otherwise why not. The socket's owner is the engine's user.
 */
export function judgeSocket(chain: PathNode[], self: number): string | undefined {
  const sock = chain.at(-1);
  const dir = chain.at(-2);
  if (!sock || !dir) return 'empty path';
  if ((sock.mode & S_IFMT) !== S_IFSOCK) return `${sock.path} is not a socket`;
  const engine = sock.uid;
  if (dir.uid !== engine && dir.uid !== 0) return `${sock.path} belongs to uid ${engine} but its directory to uid ${dir.uid}: either could have replaced the other's engine`;
  if (!isDir(dir)) return `${dir.path} is not a directory`;
  if (sharedWritable(dir)) return `the engine's directory ${dir.path} (mode ${octal(dir)}) may be written by other users: anyone of them could have put this socket there`;
  const trusted = (uid: number) => uid === 0 || uid === self || uid === engine;
  const why = judgeAncestors(chain.slice(0, -1), trusted);
  if (why) return `not trusting ${sock.path}: ${why}`;
  // Who could have created each component: a name in a directory others may write (sticky or not) could be anyone's.
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1];
    const n = chain[i];
    if (sharedWritable(parent) && n.uid !== 0 && n.uid !== self) {
      return `not trusting ${sock.path}: ${n.path} (uid ${n.uid}) is in ${parent.path}, where any user could have created it; run the shared engine in a directory root hands to it (e.g. systemd RuntimeDirectory=, /run/nocflow)`;
    }
  }
  return undefined;
}
