//! Speakers: each channel's speech (or, on a mono call, each speaker a diarizer separates)
//! becomes a [`Track`] with a [`Role`].
//!
//! Takes: the recording's [`Audio16k`], its [`ChannelSpeech`], which stereo channel is the agent,
//! and optionally a [`Diarizer`]. Gives: [`Tracks`] — the call's mode and one track per speaker,
//! in channel order. Every later stage (transcription, metrics, the script) reads speakers from
//! here and never from channel numbers. Must not: look at words.

use crate::config::AgentChannel;
use crate::resample::Audio16k;
use crate::timeline::Interval;
use crate::transcript::Role;
use crate::vad::ChannelSpeech;
use schemars::JsonSchema;
use serde::Serialize;

/// How the recording separates speakers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Two channels, one speaker each.
    Stereo,
    /// One channel (or two carrying the same signal).
    Mono,
}

/// One speaker's speech and where to hear it.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub role: Role,
    /// The recording channel holding this speaker's voice.
    pub channel: usize,
    /// `left` or `right` on a stereo call; `None` when the track is not a channel of its own.
    pub channel_name: Option<&'static str>,
    /// Where this speaker talks (VAD, crosstalk removed).
    pub speech: Vec<Interval>,
}

/// The call's speakers.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracks {
    pub mode: Mode,
    /// In channel order (the order they are transcribed in).
    pub list: Vec<Track>,
}

impl Tracks {
    /// The track of `role`, if the call has one.
    pub fn by_role(&self, role: Role) -> Option<&Track> {
        self.list.iter().find(|t| t.role == role)
    }
}

/// Separates the speakers of a mono recording: the slot for diarization. One instance serves
/// one call, window after window, so it may keep what it learnt of the call's voices.
pub trait Diarizer {
    /// Two voices' speech within `speech` (window time): the voice heard first in the call
    /// first (it becomes the provisional agent), or `None` when it cannot tell them apart.
    fn diarize(&mut self, audio: &[f32], speech: &[Interval]) -> Option<[Vec<Interval>; 2]>;

    /// How it tells voices apart, for the call's JSON.
    fn info(&self) -> DiarizerInfo {
        DiarizerInfo { method: "custom", model: None }
    }
}

/// A diarizer's method and model (`diarization` in the call JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiarizerInfo {
    pub method: &'static str,
    /// The model file's name and sha256, when it uses one.
    pub model: Option<(String, String)>,
}

/// The call's tracks: by channel on a stereo call; on a mono call one `unknown` track, or the
/// agent and the customer when a diarizer separates them.
pub fn assign(
    audio: &Audio16k,
    speech: ChannelSpeech,
    agent: AgentChannel,
    diarizer: Option<&mut dyn Diarizer>,
) -> Tracks {
    let mut per_channel = speech.into_channels();
    if audio.channels().len() == 2 && per_channel.len() == 2 {
        let right = per_channel.pop().unwrap_or_default();
        let left = per_channel.pop().unwrap_or_default();
        let (left_role, right_role) = match agent {
            AgentChannel::Left => (Role::Agent, Role::Customer),
            AgentChannel::Right => (Role::Customer, Role::Agent),
        };
        let track =
            |role, channel, name, speech| Track { role, channel, channel_name: Some(name), speech };
        return Tracks {
            mode: Mode::Stereo,
            list: vec![track(left_role, 0, "left", left), track(right_role, 1, "right", right)],
        };
    }
    let speech = per_channel.into_iter().next().unwrap_or_default();
    let split = diarizer.and_then(|d| d.diarize(audio.channel(0), &speech));
    let list = match split {
        Some([agent, customer]) => vec![
            Track { role: Role::Agent, channel: 0, channel_name: None, speech: agent },
            Track { role: Role::Customer, channel: 0, channel_name: None, speech: customer },
        ],
        None => vec![Track { role: Role::Unknown, channel: 0, channel_name: None, speech }],
    };
    Tracks { mode: Mode::Mono, list }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(a: f64, b: f64) -> Interval {
        Interval::new(a, b)
    }

    fn speech() -> ChannelSpeech {
        ChannelSpeech::new(vec![vec![iv(0.0, 1.0)], vec![iv(2.0, 3.0)]])
    }

    #[test]
    fn stereo_roles_follow_the_agent_channel() {
        let audio = Audio16k::new(vec![vec![0.0; 10], vec![0.1; 10]]);
        let t = assign(&audio, speech(), AgentChannel::Right, None);
        assert_eq!(t.mode, Mode::Stereo);
        let agent = t.by_role(Role::Agent).unwrap();
        assert_eq!((agent.channel, agent.channel_name), (1, Some("right")));
        assert_eq!(agent.speech, [iv(2.0, 3.0)]);
        assert_eq!(t.list[0].role, Role::Customer, "tracks stay in channel order");
        assert!(t.by_role(Role::Customer).is_some());
    }

    struct Halves;

    impl Diarizer for Halves {
        fn diarize(&mut self, _: &[f32], speech: &[Interval]) -> Option<[Vec<Interval>; 2]> {
            let (a, c) = speech.split_at(speech.len() / 2);
            Some([a.to_vec(), c.to_vec()])
        }
    }

    #[test]
    fn mono_is_one_unknown_track_unless_a_diarizer_separates_it() {
        let audio = Audio16k::new(vec![vec![0.0; 10]]);
        let mono = ChannelSpeech::new(vec![vec![iv(0.0, 1.0), iv(2.0, 3.0)]]);
        let t = assign(&audio, mono.clone(), AgentChannel::Left, None);
        assert_eq!((t.mode, t.list.len(), t.list[0].role), (Mode::Mono, 1, Role::Unknown));
        assert!(t.by_role(Role::Agent).is_none());
        let t = assign(&audio, mono, AgentChannel::Left, Some(&mut Halves));
        assert_eq!(t.mode, Mode::Mono);
        assert_eq!(t.by_role(Role::Customer).unwrap().speech, [iv(2.0, 3.0)]);
        assert!(t.by_role(Role::Agent).is_some() && t.list.iter().all(|t| t.channel == 0));
    }
}
