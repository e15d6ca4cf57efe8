//! A static file server on loopback for the HTTP tests: serves a registry
//! directory (with ETags and 304s, keep-alive), with scripted faults and
//! counters. Test code, hand-rolled on `std::net` so each fault (a reset, a
//! body cut short) is exactly what goes on the wire.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the server does to one request instead of (or on top of) serving it.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status and an empty body.
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    TooMany(u64),
    /// Close the connection without answering.
    Reset,
    /// Send the headers (true `Content-Length`) and only this many bytes.
    Truncate(usize),
    /// Stream this many bytes with no `Content-Length`, then close.
    Endless(usize),
    /// Wait before answering normally.
    Delay(Duration),
}

#[derive(Default)]
struct State {
    /// Faults per path, applied in order, one per request.
    faults: HashMap<String, VecDeque<Fault>>,
    /// Requests per path.
    hits: HashMap<String, u64>,
    /// Requests answered 304.
    not_modified: u64,
    /// User-Agent of the last request.
    user_agent: Option<String>,
    /// Validate by `Last-Modified` only, as `python3 -m http.server` does
    /// (no `ETag`; 304 when `If-Modified-Since` is not before the file's
    /// mtime, to the second), with `Date` this many seconds after it.
    last_modified_only: Option<u64>,
}

pub struct Server {
    pub url: String,
    state: Arc<Mutex<State>>,
    connections: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
}

impl Server {
    /// Serves `root` on `127.0.0.1:0` until the process ends.
    pub fn serve(root: impl Into<PathBuf>) -> Server {
        let root = root.into();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let connections = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicU64::new(0));
        {
            let (state, connections, requests) =
                (state.clone(), connections.clone(), requests.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    // Headers and body are separate writes: without this,
                    // Nagle and delayed ACKs add ~40 ms to each response.
                    let _ = stream.set_nodelay(true);
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (root, state, requests) = (root.clone(), state.clone(), requests.clone());
                    thread::spawn(move || connection(stream, &root, &state, &requests));
                }
            });
        }
        Server {
            url,
            state,
            connections,
            requests,
        }
    }

    /// Queues faults for the next requests of `path` (e.g. `snapshot.json`).
    pub fn fault(&self, path: &str, faults: impl IntoIterator<Item = Fault>) {
        self.state
            .lock()
            .unwrap()
            .faults
            .entry(format!("/{path}"))
            .or_default()
            .extend(faults);
    }

    pub fn hits(&self, path: &str) -> u64 {
        let state = self.state.lock().unwrap();
        state.hits.get(&format!("/{path}")).copied().unwrap_or(0)
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn not_modified(&self) -> u64 {
        self.state.lock().unwrap().not_modified
    }

    /// Switches to `Last-Modified`-only validation (see `State`), the
    /// response's `Date` `date_after` seconds after the file's mtime: 0 is a
    /// file written in the second it is served.
    pub fn last_modified_only(&self, date_after: u64) {
        self.state.lock().unwrap().last_modified_only = Some(date_after);
    }

    pub fn user_agent(&self) -> Option<String> {
        self.state.lock().unwrap().user_agent.clone()
    }
}

fn connection(
    stream: TcpStream,
    root: &std::path::Path,
    state: &Mutex<State>,
    requests: &AtomicU64,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        requests.fetch_add(1, Ordering::SeqCst);
        let fault = {
            let mut st = state.lock().unwrap();
            *st.hits.entry(path.clone()).or_default() += 1;
            st.user_agent = headers.get("user-agent").cloned();
            st.faults.get_mut(&path).and_then(VecDeque::pop_front)
        };
        let file = root.join(path.trim_start_matches('/'));
        let body = std::fs::read(&file).ok();
        // Content-derived, as static servers' (length + mtime) are in effect.
        let etag = body.as_ref().map(|b| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(b, &mut hasher);
            format!("\"{:x}-{:x}\"", b.len(), std::hash::Hasher::finish(&hasher))
        });
        let ok = match fault {
            Some(Fault::Status(code)) => respond(&mut out, code, &[], b""),
            Some(Fault::TooMany(secs)) => {
                respond(&mut out, 429, &[("Retry-After", secs.to_string())], b"")
            }
            Some(Fault::Reset) => return,
            Some(Fault::Truncate(n)) => {
                let body = body.unwrap_or_default();
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                let _ = out.write_all(head.as_bytes());
                let _ = out.write_all(&body[..n.min(body.len())]);
                return;
            }
            Some(Fault::Endless(n)) => {
                let _ = out.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < n {
                    if out.write_all(&chunk[..chunk.len().min(n - sent)]).is_err() {
                        return;
                    }
                    sent += chunk.len();
                }
                return;
            }
            Some(Fault::Delay(d)) => {
                thread::sleep(d);
                serve(&mut out, state, &headers, body.as_deref(), etag)
            }
            None if last_modified_only(state).is_some() => {
                serve_by_mtime(&mut out, state, &headers, &file, body.as_deref())
            }
            None => serve(&mut out, state, &headers, body.as_deref(), etag),
        };
        if !ok {
            return;
        }
    }
}

fn last_modified_only(state: &Mutex<State>) -> Option<u64> {
    state.lock().unwrap().last_modified_only
}

/// `Last-Modified` validation to the second, as Python's `http.server`.
fn serve_by_mtime(
    out: &mut TcpStream,
    state: &Mutex<State>,
    headers: &HashMap<String, String>,
    file: &std::path::Path,
    body: Option<&[u8]>,
) -> bool {
    let (Some(body), Some(date_after)) = (body, last_modified_only(state)) else {
        return respond(out, 404, &[], b"");
    };
    let mtime = std::fs::metadata(file).unwrap().modified().unwrap();
    let secs = mtime
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let http_date = |secs: i64| {
        let ts = jiff::Timestamp::from_second(secs).unwrap();
        jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&ts)
            .unwrap()
    };
    let modified = http_date(secs);
    let date = http_date(secs + date_after as i64);
    let since = headers.get("if-modified-since").and_then(|v| {
        jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(v)
            .ok()
    });
    let headers = [("Last-Modified", modified), ("Date", date)];
    if since.is_some_and(|s| s.as_second() >= secs) {
        state.lock().unwrap().not_modified += 1;
        respond(out, 304, &headers, b"")
    } else {
        respond(out, 200, &headers, body)
    }
}

fn serve(
    out: &mut TcpStream,
    state: &Mutex<State>,
    headers: &HashMap<String, String>,
    body: Option<&[u8]>,
    etag: Option<String>,
) -> bool {
    match (body, etag) {
        (Some(body), Some(etag)) => {
            if headers.get("if-none-match") == Some(&etag) {
                state.lock().unwrap().not_modified += 1;
                respond(out, 304, &[("ETag", etag)], b"")
            } else {
                respond(out, 200, &[("ETag", etag)], body)
            }
        }
        _ => respond(out, 404, &[], b""),
    }
}

fn respond(out: &mut TcpStream, code: u16, headers: &[(&str, String)], body: &[u8]) -> bool {
    let mut head = format!("HTTP/1.1 {code} X\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if code != 304 {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes()).is_ok() && out.write_all(body).is_ok() && out.flush().is_ok()
}
