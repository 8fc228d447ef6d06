// The audible cue of an alert that must be answered at once (a stop request): a short
// beep through Web Audio; window.deconflictCues counts the cues played.

let context = null;

/** Play the cue (880 Hz, 0.3 s) and count it; silent where the browser has no audio. */
export function playCue() {
  window.deconflictCues = (window.deconflictCues || 0) + 1;
  try {
    context = context || new AudioContext();
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(context.destination);
    osc.start();
    osc.stop(context.currentTime + 0.3);
  } catch {
    // no audio output: the inbox still puts the alert first
  }
}
