"""The hotline's state and messages on both sides."""

from __future__ import annotations

from typing import Any


def test_suspension_shows_the_banner_on_both_sides_and_resume_clears_it(screens: Any) -> None:
    blue = screens("blue")
    red = screens("red")
    for s in (blue, red):
        assert s.page.get_attribute("#channel", "data-state") == "open"

    red.page.fill("#suspend-reason", "relocating the operations room")
    red.page.click("#suspend")
    for s in (red, blue):
        s.page.locator('#channel[data-state="suspended"]').wait_for(timeout=5000)
        who = s.page.locator('#channel .channel-who[data-party="red"]')
        assert "relocating the operations room" in who.inner_text()
    assert "red" in blue.page.inner_text("#channel .channel-title")
    assert blue.page.locator("#resume").count() == 0, "only the suspending party resumes"
    blue.screenshot("channel-suspended-blue.png")

    red.page.click("#resume")
    for s in (red, blue):
        s.page.locator('#channel[data-state="open"]').wait_for(timeout=5000)
        s.page.locator("#channel details.history li").nth(1).wait_for(state="attached")
        assert s.page.locator("#channel details.history li").count() == 2


def test_a_message_reaches_the_party_it_is_sent_to_and_no_other(screens: Any) -> None:
    blue = screens("blue")
    red = screens("red")
    green = screens("green")
    blue.tab("messages")
    blue.page.check('#message-to input[value="red"]')
    blue.page.fill("#message-text", "hold north of the bridge until 07:00")
    blue.page.click("#message-send")
    red.tab("messages")
    got = red.page.locator("#message-list li.theirs").first
    got.wait_for(timeout=5000)
    assert "hold north of the bridge" in got.inner_text()
    assert "blue → red" in got.inner_text()
    blue.page.locator("#message-list li.mine").first.wait_for(timeout=5000)
    green.wait(1.0)
    assert not green.told("hold north of the bridge")
