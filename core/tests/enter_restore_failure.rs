//! An `EnterGuard` dropped when the thread cannot go back must not panic: it warns on stderr
//! and leaves the error for `take_restore_failure`. Runs without the test harness, as a
//! single-threaded process, because only such a process may enter a user namespace; the
//! kernel then refuses the way back to the parent user namespace (EPERM).

use nsrun::{take_restore_failure, Errno, Error, Kind, Namespace};

fn main() {
    let host = Namespace::current(Kind::User).expect("current user namespace");
    let child = Namespace::create(Kind::User).expect("create user namespace");
    assert!(take_restore_failure().is_none());

    let guard = child
        .enter()
        .expect("enter user namespace (single-threaded)");
    assert_eq!(guard.previous(), &host);
    drop(guard); // must not panic

    let failure = take_restore_failure().expect("the failed restore is reported");
    assert!(matches!(failure, Error::Sys { .. }), "{failure:?}");
    assert_eq!(failure.errno(), Errno::EPERM, "{failure}");
    assert!(
        failure.to_string().contains("restore previous namespace"),
        "{failure}"
    );
    assert!(take_restore_failure().is_none(), "taking clears it");
    // The thread stayed where it was.
    assert_eq!(Namespace::current(Kind::User).unwrap(), child);
    println!("enter_restore_failure: 1 passed");
}
