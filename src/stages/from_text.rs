//! A script from the text agents read: the company's call script as plain text, with a heading
//! per stage, turned into a script TOML whose stages carry those lines as examples (and short
//! lines also as phrases).
//!
//! A heading is a line that starts with `#`, or a short line (at most six words, not ending in
//! "." or "?") that is numbered ("1.", "2)", "Stage 2:", "Этап 2."), ends with ":" or is written
//! in capitals. Headings naming a usual stage (greeting, needs discovery, presentation, objection
//! handling, closing; English or Russian) get its usual id, so the built-in stage model applies
//! when all five are there. Under a heading, every line is one thing the agent says: bullets
//! and "Agent:" / "Менеджер:" prefixes are dropped, placeholders in brackets ("[name]",
//! "<компания>") removed, and "Customer:" / "Клиент:" lines left out.
//!
//! Takes: the text. Gives: a script TOML (checked by the caller with `script::parse`). Must not:
//! read or write files.

use super::script::DEFAULT_SCRIPT;
use crate::text::words;

/// The usual stages: id, title, and what their headings say.
const USUAL: [(&str, &str, &[&str]); 5] = [
    (
        "greeting",
        "Greeting and contact",
        &["greet", "introduc", "opening", "hello", "приветств", "знакомств", "контакт"],
    ),
    (
        "needs_discovery",
        "Needs discovery",
        &["need", "discover", "qualif", "question", "потребност", "выявлен", "вопрос", "диагност"],
    ),
    (
        "presentation",
        "Presentation",
        &["present", "offer", "pitch", "solution", "презентац", "предложен", "продукт"],
    ),
    ("objection_handling", "Objection handling", &["objection", "concern", "возражен", "сомнен"]),
    (
        "closing",
        "Closing and next step",
        &["clos", "next step", "wrap", "farewell", "заверш", "закрыт", "следующ", "прощан"],
    ),
];
/// Lines this short (in words) are also phrases.
const PHRASE_WORDS: usize = 6;

/// What [`build`] made.
#[derive(Debug, Clone)]
pub struct Built {
    /// The script TOML.
    pub toml: String,
    /// One line for the user: stages and examples found.
    pub summary: String,
}

#[derive(Debug)]
struct Stage {
    id: String,
    title: String,
    lines: Vec<String>,
}

/// Builds a script TOML named `name` from a plain-text call script.
pub fn build(text: &str, name: &str) -> Result<Built, String> {
    let mut stages: Vec<Stage> = Vec::new();
    let mut current: Option<usize> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(title) = heading(line) {
            let id = stage_id(&title, stages.len());
            // A second heading for the same stage (the Russian half of a bilingual script)
            // adds to it.
            current = Some(stages.iter().position(|s| s.id == id).unwrap_or_else(|| {
                stages.push(Stage { id, title, lines: Vec::new() });
                stages.len() - 1
            }));
            continue;
        }
        let Some(said) = agent_line(line) else { continue };
        // Lines before the first heading are the document's title and preamble.
        if let Some(s) = current.and_then(|i| stages.get_mut(i)) {
            s.lines.push(said);
        }
    }
    stages.retain(|s| !s.lines.is_empty());
    if stages.is_empty() {
        return Err(
            "no stage heading with lines under it (see `callgauge script from-text --help`)".into(),
        );
    }
    Ok(Built { summary: summary(&stages), toml: to_toml(name, &stages) })
}

/// The heading's title, if `line` is one.
fn heading(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix('#') {
        return Some(clean_title(rest.trim_start_matches('#')));
    }
    let n = words(line).len();
    if n == 0 || n > PHRASE_WORDS || line.ends_with('.') || line.ends_with('?') {
        return None;
    }
    let numbered = {
        let lower = line.to_lowercase();
        let rest = ["stage", "step", "этап", "шаг"]
            .iter()
            .find_map(|w| lower.strip_prefix(w))
            .map_or(lower.as_str(), str::trim_start);
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(['.', ')', ':'])
    };
    let letters: Vec<char> = line.chars().filter(|c| c.is_alphabetic()).collect();
    let capitals = letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase());
    (numbered || line.ends_with(':') || capitals).then(|| clean_title(line))
}

/// A heading without its number, "Stage 2:" and trailing ":".
fn clean_title(line: &str) -> String {
    let mut t = line.trim().trim_end_matches(':').trim().to_string();
    for w in ["stage", "step", "этап", "шаг", "Stage", "Step", "Этап", "Шаг", "STAGE", "ЭТАП"]
    {
        if let Some(rest) = t.strip_prefix(w) {
            t = rest.trim_start().to_string();
        }
    }
    let t = t.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start_matches(['.', ')', ':']);
    t.trim().to_string()
}

/// The stage id for a heading: a usual stage's, or one made from the title.
fn stage_id(title: &str, index: usize) -> String {
    let lower = title.to_lowercase();
    if let Some((id, _, _)) =
        USUAL.iter().find(|(_, _, keys)| keys.iter().any(|k| lower.contains(k)))
    {
        return id.to_string();
    }
    let slug: String = lower
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if slug.is_empty() { format!("stage_{}", index + 1) } else { slug }
}

/// What the agent says on a script line, or `None` for a customer's line or nothing left.
fn agent_line(line: &str) -> Option<String> {
    let mut l = line.trim_start_matches(['-', '*', '•', '—', '–', '>', ' ']).trim();
    let lower = l.to_lowercase();
    for who in ["customer:", "client:", "клиент:", "к:"] {
        if lower.starts_with(who) {
            return None;
        }
    }
    for who in ["agent:", "manager:", "менеджер:", "оператор:", "м:"] {
        if lower.starts_with(who) {
            l = l[who.len()..].trim();
            break;
        }
    }
    // Placeholders: [name], <company>, {date}.
    let mut out = String::new();
    let mut depth = 0usize;
    for c in l.chars() {
        match c {
            '[' | '<' | '{' => depth += 1,
            ']' | '>' | '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let out = out.replace(" ,", ",").replace(" .", ".").replace(" ?", "?").replace(" !", "!");
    (words(&out).len() >= 2).then_some(out)
}

fn language(line: &str) -> &'static str {
    let cyr = line.chars().filter(|c| ('\u{0400}'..='\u{04FF}').contains(c)).count();
    let latin = line.chars().filter(char::is_ascii_alphabetic).count();
    if cyr > latin { "ru" } else { "en" }
}

fn summary(stages: &[Stage]) -> String {
    let parts: Vec<String> =
        stages.iter().map(|s| format!("{} ({} lines)", s.id, s.lines.len())).collect();
    format!("{} stages: {}", stages.len(), parts.join(", "))
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[&String]) -> String {
    let body: Vec<String> = items.iter().map(|s| format!("  {},", quote(s))).collect();
    format!("[\n{}\n]", body.join("\n"))
}

fn to_toml(name: &str, stages: &[Stage]) -> String {
    let usual = USUAL.iter().all(|(id, _, _)| stages.iter().any(|s| s.id == *id));
    let mut out = String::new();
    out.push_str(
        "# Written by `callgauge script from-text` from the call script agents read: each stage's\n\
         # lines are its examples (matched by similarity, so paraphrases count) and the short ones\n\
         # also its phrases. Edit freely: add examples from real calls, add phrases, reorder.\n",
    );
    out.push_str(&format!("name = {}\n", quote(name)));
    if usual {
        out.push_str(
            "# The built-in stage model knows the five usual stages; it finds them where no\n\
             # phrase or example matched. Remove this line to use phrases and examples alone.\n\
             model = \"builtin\"\n",
        );
    }
    for s in stages {
        let title = USUAL.iter().find(|(id, _, _)| *id == s.id).map_or(s.title.as_str(), |u| u.1);
        out.push_str(&format!("\n[[stages]]\nid = {}\ntitle = {}\n", quote(&s.id), quote(title)));
        out.push_str("speaker = \"agent\"\n");
        if s.id == "greeting" {
            out.push_str("within_s = 45\n");
        }
        if s.id == "objection_handling" {
            out.push_str("optional = true\nafter_objection = true\n");
        }
        for lang in ["en", "ru"] {
            let lines: Vec<&String> = s.lines.iter().filter(|l| language(l) == lang).collect();
            if lines.is_empty() {
                continue;
            }
            let short: Vec<&String> =
                lines.iter().copied().filter(|l| words(l).len() <= PHRASE_WORDS).collect();
            if !short.is_empty() {
                out.push_str(&format!("phrases.{lang} = {}\n", list(&short)));
            }
            out.push_str(&format!("examples.{lang} = {}\n", list(&lines)));
        }
    }
    out.push_str("\n# The checklist: one item per stage.\n");
    for s in stages {
        out.push_str(&format!(
            "[[checklist]]\nid = {}\ntitle = {}\nrule = {{ kind = \"stage\", stage = {} }}\n\n",
            quote(&s.id),
            quote(&format!("Reached: {}", s.title)),
            quote(&s.id)
        ));
    }
    // Objections and `[no_stage]` as in the built-in script: what customers say, and how an
    // agent accepts a refusal, are not in an agent's script.
    if let (Some(a), Some(b)) =
        (DEFAULT_SCRIPT.find("# Objections:"), DEFAULT_SCRIPT.find("# The quality index"))
    {
        out.push_str(&DEFAULT_SCRIPT[a..b]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::script::parse;

    const TEXT: &str = "\
Sales call script — Fieldnote

1. Greeting
Good morning, this is [name] from Fieldnote.
Is now a good time for a quick chat?

2. Needs discovery
- How do your technicians get their jobs for the day?
- What happens when a job runs long?
Customer: We phone them every morning.

## Presentation
Agent: Fieldnote reorders the route automatically when a job overruns and texts the next client.

OBJECTIONS
I understand, many teams felt the same before they tried it.

Closing:
Let's book a thirty minute demo with your dispatcher this week.
";

    #[test]
    fn headings_become_the_usual_stages_and_lines_their_examples() {
        let b = build(TEXT, "Fieldnote").unwrap();
        let s = parse(&b.toml, "fieldnote.toml").unwrap();
        let ids: Vec<&str> = s.stages.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["greeting", "needs_discovery", "presentation", "objection_handling", "closing"]
        );
        assert_eq!(s.model.as_ref().map(|m| m.0.as_str()), Some("builtin"));
        let greeting: Vec<&str> =
            s.stages[0].examples.0.iter().map(|(_, p)| p.text.as_str()).collect();
        // The placeholder is gone; the customer's line is left out.
        assert_eq!(
            greeting,
            ["Good morning, this is from Fieldnote.", "Is now a good time for a quick chat?"]
        );
        assert!(!b.toml.contains("We phone them"));
        assert!(b.toml.contains("Fieldnote reorders the route"));
        assert!(!b.toml.contains("Agent:"));
        assert_eq!(s.checklist.len(), 5);
        assert!(!s.objections.is_empty());
        // So are the lines that are no stage (an agent accepting a refusal).
        assert!(!s.no_stage.for_language(Some("en")).is_empty());
        assert!(!s.no_stage.for_language(Some("ru")).is_empty());
        assert!(b.summary.starts_with("5 stages"), "{}", b.summary);
    }

    #[test]
    fn russian_headings_and_unusual_stages() {
        let text = "Этап 1. Приветствие\nДобрый день, меня зовут Анна, компания «Полис».\n\
                    Этап 2: Проверка данных\nПодтвердите, пожалуйста, дату рождения.\n";
        let b = build(text, "Полис").unwrap();
        let s = parse(&b.toml, "p.toml").unwrap();
        let ids: Vec<&str> = s.stages.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["greeting", "stage_2"]);
        assert!(s.model.is_none(), "the built-in model needs the five usual stages");
        assert_eq!(s.stages[0].examples.0[0].0, "ru");
    }

    #[test]
    fn a_bilingual_script_keeps_one_stage_per_heading_in_order() {
        let text = "1. Greeting\nGood morning, this is Anna.\n2. Closing:\nI'll send the contract today.\n\
                    1. Приветствие\nДобрый день, это Анна.\n2. Завершение\nЯ пришлю договор сегодня.\n";
        let s = parse(&build(text, "x").unwrap().toml, "x.toml").unwrap();
        let ids: Vec<&str> = s.stages.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["greeting", "closing"]);
        let langs: Vec<&str> = s.stages[1].examples.0.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(langs, ["en", "ru"]);
    }

    #[test]
    fn text_without_headings_is_refused() {
        assert!(
            build("Hello there, how are you?\n", "x").unwrap_err().contains("no stage heading")
        );
        assert!(build("", "x").unwrap_err().contains("no stage heading"));
    }
}
