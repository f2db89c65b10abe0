//! The `vnet` binary.
//!
//! ```text
//! vnet                                   interactive shell (line editing, history)
//! vnet run [--keep-going] [--transcript OUT] [--seed N] FILE
//! vnet demo [--pcap FILE]                the built-in scenario
//! vnet -c LINE                           run one line
//! ```

use std::io::Write as _;
use std::process::ExitCode;

use vnet_cli::script::{self, RunOpts, Step};
use vnet_cli::{DEFAULT_SEED, Session};

const USAGE: &str = "usage: vnet [--seed N]                      interactive shell
       vnet run [--keep-going] [--transcript OUT] [--seed N] FILE
       vnet demo [--pcap FILE] [--seed N]
       vnet [--seed N] -c LINE
";

/// The built-in scenario `vnet demo` runs (`scenarios/demo.vnet`).
const DEMO: &str = include_str!("../../scenarios/demo.vnet");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match real_main(&args) {
        Ok(code) => ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1)),
        Err(msg) => {
            eprint!("{msg}");
            ExitCode::from(2)
        }
    }
}

struct Cli {
    seed: u64,
    keep_going: bool,
    transcript: Option<String>,
    pcap: Option<String>,
    rest: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Cli, String> {
    let mut c = Cli { seed: DEFAULT_SEED, keep_going: false, transcript: None, pcap: None, rest: Vec::new() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| it.next().cloned().ok_or(format!("vnet: {name} needs a value\n{USAGE}"));
        match a.as_str() {
            "--seed" => {
                let v = val("--seed")?;
                c.seed = v.parse().map_err(|_| format!("vnet: --seed: \"{v}\" is not a number\n"))?;
            }
            "--keep-going" | "-k" => c.keep_going = true,
            "--transcript" => c.transcript = Some(val("--transcript")?),
            "--pcap" => c.pcap = Some(val("--pcap")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ => c.rest.push(a.clone()),
        }
    }
    Ok(c)
}

fn real_main(args: &[String]) -> Result<i32, String> {
    let cli = parse_args(args)?;
    let mut session = Session::new(cli.seed).map_err(|e| format!("vnet: cannot create the simulated host: {e}\n"))?;
    match cli.rest.first().map(String::as_str) {
        None => shell(&mut session),
        Some("run") => {
            let [_, file] = cli.rest.as_slice() else {
                return Err(format!("vnet run: expected one script file\n{USAGE}"));
            };
            let src = std::fs::read_to_string(file).map_err(|e| format!("vnet: {file}: {e}\n"))?;
            run_script(&mut session, &src, cli.keep_going, cli.transcript.as_deref())
        }
        Some("demo") => {
            let pcap = cli.pcap.as_deref().unwrap_or("vnet-demo.pcap");
            let src = DEMO.replace("vnet-demo.pcap", pcap);
            let rc = run_script(&mut session, &src, false, cli.transcript.as_deref())?;
            if rc == 0 {
                println!("# capture written to {pcap} (open it with tcpdump -r or Wireshark)");
            }
            Ok(rc)
        }
        Some("-c") => {
            let line = cli.rest[1..].join(" ");
            let o = session.exec(&line);
            print!("{}", o.stdout);
            eprint!("{}", o.stderr);
            for (_, j) in session.finish_jobs() {
                print!("{}", j.stdout);
                eprint!("{}", j.stderr);
            }
            Ok(o.rc)
        }
        Some(other) => Err(format!("vnet: unknown command \"{other}\"\n{USAGE}")),
    }
}

fn run_script(session: &mut Session, src: &str, keep_going: bool, transcript: Option<&str>) -> Result<i32, String> {
    let mut print = |st: &Step| {
        match st {
            Step::Comment(c) => println!("{c}"),
            Step::Command { cmd, out, .. } => {
                println!("$ {cmd}");
                print!("{}", out.stdout);
                let _ = std::io::stdout().flush();
                eprint!("{}", out.stderr);
            }
            Step::Failure(msg) => eprintln!("{msg}"),
        }
        let _ = std::io::stdout().flush();
    };
    let rep = script::run(session, src, RunOpts { keep_going }, &mut print);
    if let Some(path) = transcript {
        std::fs::write(path, rep.transcript()).map_err(|e| format!("vnet: {path}: {e}\n"))?;
    }
    Ok(rep.status)
}

fn shell(session: &mut Session) -> Result<i32, String> {
    use rustyline::error::ReadlineError;
    let mut rl = rustyline::DefaultEditor::new().map_err(|e| format!("vnet: cannot open the terminal: {e}\n"))?;
    let mut last = 0;
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { "vnet# " } else { "> " };
        match rl.readline(prompt) {
            Ok(line) => {
                if let Some(head) = line.strip_suffix('\\') {
                    pending.push_str(head);
                    pending.push(' ');
                    continue;
                }
                let full = std::mem::take(&mut pending) + &line;
                if full.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(full.as_str());
                if matches!(full.trim(), "exit" | "quit") {
                    break;
                }
                let o = session.exec(&full);
                print!("{}", o.stdout);
                let _ = std::io::stdout().flush();
                eprint!("{}", o.stderr);
                last = o.rc;
            }
            Err(ReadlineError::Interrupted) => pending.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(format!("vnet: {e}\n")),
        }
    }
    for (_, j) in session.finish_jobs() {
        print!("{}", j.stdout);
        eprint!("{}", j.stderr);
    }
    Ok(last)
}
