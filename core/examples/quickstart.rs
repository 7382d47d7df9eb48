//! Create a named network namespace, enter it from this thread, compare, delete.
use nsrun::{Kind, Namespace};

fn main() -> Result<(), nsrun::Error> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "lab".into());

    let lab = nsrun::netns::add(&name)?; // like `ip netns add`, visible to ip
    println!("created {lab} at {}", nsrun::netns::path(&name)?.display());
    {
        let _inside = lab.enter()?; // this thread only; restored when the guard drops
        assert_eq!(Namespace::current(Kind::Net)?, lab);
    }
    assert_ne!(Namespace::current(Kind::Net)?, lab);

    match Namespace::create(Kind::Net)?.persist(nsrun::netns::path(&name)?) {
        Err(e @ nsrun::Error::AlreadyPersisted { .. }) => println!("refused: {e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    nsrun::netns::delete(&name)?; // removes every stacked mount, then the file
    println!("deleted {name}");
    Ok(())
}
