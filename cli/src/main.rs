//! `cray`: the command-line front end.
fn main() {
    println!("cray");
}
