"""The official openai Python client against Nibble's API server.

Usage: openai_client_test.py BASE_URL API_KEY  (e.g. http://127.0.0.1:8181/v1 nb-...)
Exits non-zero, with the reason, when any check fails.
"""
import sys

import openai


def main() -> int:
    client = openai.OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], timeout=120, max_retries=0)

    stranger = openai.OpenAI(base_url=sys.argv[1], api_key="nb-wrong", timeout=120, max_retries=0)
    try:
        stranger.models.list()
        raise AssertionError("a wrong key was accepted")
    except openai.AuthenticationError as error:
        assert error.status_code == 401

    models = [m.id for m in client.models.list()]
    assert "SmolLM2-135M-Instruct/Q4_1" in models, models

    messages = [{"role": "user", "content": "Name three colours."}]
    reply = client.chat.completions.create(
        model="SmolLM2-135M-Instruct/Q4_1", messages=messages, temperature=0, seed=7, max_tokens=16)
    text = reply.choices[0].message.content
    assert reply.object == "chat.completion", reply
    assert reply.choices[0].message.role == "assistant", reply
    assert text and text.strip(), reply
    assert reply.choices[0].finish_reason in ("stop", "length"), reply
    assert reply.usage.completion_tokens > 0, reply.usage
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens, reply.usage

    pieces = []
    finish = None
    stream = client.chat.completions.create(
        model="SmolLM2-135M-Instruct/Q4_1", messages=messages, temperature=0, seed=7, max_tokens=16, stream=True)
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk", chunk
        choice = chunk.choices[0]
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
    assert "".join(pieces) == text, ("".join(pieces), text)
    assert finish == reply.choices[0].finish_reason, finish

    completion = client.completions.create(
        model="SmolLM2-135M-Instruct/Q4_1", prompt="Once upon a time", max_tokens=4, temperature=0)
    assert completion.choices[0].text, completion

    try:
        client.chat.completions.create(model="no-such-model", messages=messages, max_tokens=4)
        raise AssertionError("an unknown model was accepted")
    except openai.NotFoundError as error:
        assert error.status_code == 404

    print("openai client: chat, stream and completion OK:", repr(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
