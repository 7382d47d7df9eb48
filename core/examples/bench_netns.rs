//! nsrun's side of bench/bench_netns.py:
//!   bench_netns add N PREFIX | open N PREFIX | del N PREFIX | enter N NAME   prints seconds elapsed
use std::time::Instant;

fn main() -> Result<(), nsrun::Error> {
    let args: Vec<String> = std::env::args().collect();
    let (op, n, name) = (&args[1], args[2].parse::<usize>().unwrap(), &args[3]);
    let t0 = Instant::now();
    match op.as_str() {
        "add" => {
            for i in 0..n {
                nsrun::netns::add(&format!("{name}-{i}"))?;
            }
        }
        "open" => {
            for i in 0..n {
                nsrun::netns::open(&format!("{name}-{i}"))?;
            }
        }
        "del" => {
            for i in 0..n {
                nsrun::netns::delete(&format!("{name}-{i}"))?;
            }
        }
        "enter" => {
            let ns = nsrun::netns::open(name)?;
            let t0 = Instant::now();
            for _ in 0..n {
                ns.enter()?.leave()?;
            }
            println!("{:.6}", t0.elapsed().as_secs_f64());
            return Ok(());
        }
        _ => panic!("usage: bench_netns add|open|del|enter N NAME"),
    }
    println!("{:.6}", t0.elapsed().as_secs_f64());
    Ok(())
}
