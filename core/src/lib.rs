//! nsrun: Linux namespaces done right.
//!
//! Create, persist (bind mount), enter (setns), compare and list namespaces of every kind, and
//! manage named network namespaces in `/run/netns` compatibly with `ip netns`. The C ABI
//! (`nsrun-capi`), the Python module and the CLI are thin layers over this crate.

#![warn(missing_docs)]

// `launch::wire` is shared with nsrun-init, which has no `std`: it names `alloc` and `core`.
extern crate alloc;

mod enter;
mod errno;
mod error;
mod kind;
pub mod lab;
// launch v2 re-cuts core/src/launch/ and documents its public items itself (and fixes its
// module doc's links to the private `plan`/`child`); until it lands, these two lints stop at
// this module so the rest of the crate is held to them.
#[allow(missing_docs, rustdoc::private_intra_doc_links)]
pub mod launch;
pub mod link;
mod list;
mod name;
pub mod netns;
mod ns;
mod persist;
pub mod rootless;
mod sys;
pub mod sysctl;

pub use enter::{take_restore_failure, EnterGuard};
pub use errno::Errno;
pub use error::{Error, Result};
pub use kind::{Kind, UnknownKind};
pub use launch::{Child, ExitStatus, Launch, NsMode, Stage, Stdio};
pub use list::{list_namespaces, NamespaceInfo};
pub use ns::{same, Namespace, NsId};
pub use persist::unpersist;
pub use sys::{
    block_signals, dup_fd, in_my_process_group, take_pending_signal, take_pending_signal_info,
};
