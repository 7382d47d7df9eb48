//! Labs: a topology of nodes (each its own net, mnt, pid, uts and ipc namespaces, with the
//! node's name as hostname, on a rootfs or on the host's filesystem with private directories),
//! point-to-point links and LANs, addresses, routes, sysctls, boot and shutdown commands.
//! One implementation for the CLI and the bindings: [`Topology`] (the model, from TOML, JSON
//! or code), its validation, [`Lab::up`] and [`Lab::down`].
//!
//! Nothing of a lab is persisted: every namespace is held by the lab's handles and its nodes'
//! processes, and every node process dies with the process that brought the lab up
//! (PDEATHSIG). So a lab whose owner is killed, at any moment, goes away with it: its
//! interfaces with its network namespaces, its mounts with its mount namespaces. No interface
//! is ever created in the caller's network namespace: both ends of every veth are born in
//! their target namespaces, and LAN bridges live in a namespace of the lab's own. Interface
//! names are therefore scoped by the lab: two labs with the same names run side by side.
//!
//! Labs held by a supervisor (`nsrun lab up`) record themselves under [`state::RUN_DIR`].

mod parallel;
mod private;
mod run;
pub mod state;
mod topology;

use std::path::PathBuf;

pub use run::{Lab, Node};
pub use topology::{LanSpec, LinkSpec, NodeSpec, PrivateDir, RouteSpec, Scalar, Topology};

/// What went wrong with a lab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// The topology was refused before anything was created.
    #[error("topology{file}: {message}", file = file.as_ref().map(|f| format!(" {}", f.display())).unwrap_or_default())]
    Topology {
        /// The topology file, when it came from one.
        file: Option<PathBuf>,
        /// What is wrong, naming the node, link or address.
        message: String,
    },

    /// A step of bring-up, teardown or a node command failed; everything created so far has
    /// been removed (for bring-up).
    #[error("lab {lab}{node}: {op}: {source}", node = node.as_ref().map(|n| format!(" node {n}")).unwrap_or_default())]
    Step {
        /// The lab's name.
        lab: String,
        /// The node concerned, if the step was a node's.
        node: Option<String>,
        /// The step (`"launch node"`, `"create link"`, …).
        op: &'static str,
        /// What failed inside the step.
        source: Box<crate::Error>,
    },

    /// No node of that name.
    #[error("lab {lab}: no node named {node:?}")]
    NoSuchNode {
        /// The lab's name.
        lab: String,
        /// The node asked for.
        node: String,
    },

    /// No lab of that name is recorded under the state directory.
    #[error("no lab named {lab:?} (see `nsrun lab ls`)")]
    NoSuchLab {
        /// The name asked for.
        lab: String,
    },

    /// A lab of that name is already running (its supervisor is alive).
    #[error("a lab named {lab:?} is already running (pid {pid})")]
    AlreadyRunning {
        /// The lab's name.
        lab: String,
        /// Its supervisor's pid.
        pid: i32,
    },
}

impl LabError {
    /// The errno that describes the error.
    pub fn errno(&self) -> crate::Errno {
        match self {
            LabError::Topology { .. } => crate::Errno::EINVAL,
            LabError::Step { source, .. } => source.errno(),
            LabError::NoSuchNode { .. } | LabError::NoSuchLab { .. } => crate::Errno::ENOENT,
            LabError::AlreadyRunning { .. } => crate::Errno::EEXIST,
        }
    }

    /// The path concerned, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            LabError::Topology { file, .. } => file.as_deref(),
            LabError::Step { source, .. } => source.path(),
            _ => None,
        }
    }

    pub(crate) fn step<'a>(
        lab: &'a str,
        node: Option<&str>,
        op: &'static str,
    ) -> impl FnOnce(crate::Error) -> crate::Error + 'a {
        let node = node.map(str::to_owned);
        move |source| {
            LabError::Step {
                lab: lab.to_owned(),
                node,
                op,
                source: Box::new(source),
            }
            .into()
        }
    }
}
