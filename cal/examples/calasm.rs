//! Assembles a file and prints its listing (a development aid; the `cray asm`
//! command is the real front end).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: calasm FILE.cal [cos]");
        std::process::exit(2);
    };
    let cos = std::env::args().nth(2).is_some_and(|a| a == "cos");
    let source = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let options = if cos {
        cray_cal::Options::cos()
    } else {
        cray_cal::Options::aout()
    };
    match cray_cal::assemble(&source, &path, &options) {
        Ok(assembly) => print!("{}", assembly.listing_text()),
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            std::process::exit(1);
        }
    }
}
