// Chat templates: the Jinja2 interpreter renders exactly what Python's jinja2
// renders under Hugging Face's settings, for the real models' templates, the
// built-in fallbacks and well-known templates (expected outputs made by
// tests/data/templates/generate_expected.py with jinja2 3.1), and every
// failure is an InvalidFile error naming the line.
#include "chat/builtin_templates.h"
#include "chat/chat_template.h"
#include "chat/jinja_error.h"
#include "chat/jinja_json.h"
#include "chat/jinja_template.h"
#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "test_models.h"

#include <QTest>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace nibble;

namespace {

const std::string kDataDir = NIBBLE_TEMPLATE_DATA_DIR;

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const jinja::Value& casesSpec() {
    static const jinja::Value spec = jinja::parseJson(readFile(kDataDir + "/cases.json"));
    return spec;
}

const jinja::Value& field(const jinja::Value& dict, const char* key) {
    const jinja::Value* v = dict.dict().find(key);
    if (!v) throw std::runtime_error(std::string("cases.json: missing ") + key);
    return *v;
}

const jinja::Value& expressionsSpec() {
    static const jinja::Value spec = jinja::parseJson(readFile(kDataDir + "/expressions.json"));
    return spec;
}

std::string renderJinja(const std::string& source, const jinja::ValueDict& variables) {
    return jinja::Template(source).render(variables);
}

// Messages that are only role and content strings can go through ChatTemplate itself.
std::optional<std::vector<ChatMessage>> asChatMessages(const jinja::Value& messages) {
    std::vector<ChatMessage> out;
    for (const auto& m : messages.list()) {
        const auto& entries = m.dict().entries;
        if (entries.size() != 2 || !m.dict().find("role") || !m.dict().find("content") ||
            !m.dict().find("content")->isString())
            return std::nullopt;
        out.push_back({m.dict().find("role")->asString(), m.dict().find("content")->asString()});
    }
    return out;
}

// Writes a minimal GGUF file holding only metadata.
struct GgufBytes {
    std::vector<uint8_t> b;
    template <typename T>
    GgufBytes& put(T v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof(T));
        return *this;
    }
    GgufBytes& str(std::string_view s) {
        put<uint64_t>(s.size());
        b.insert(b.end(), s.begin(), s.end());
        return *this;
    }
    static GgufBytes file(std::string_view arch, std::string_view name, const std::vector<std::string>& tokens,
                          std::string_view chatTemplate = {}) {
        GgufBytes f;
        f.put<uint32_t>(0x46554747).put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(chatTemplate.empty() ? 3 : 4);
        f.str("general.architecture").put<uint32_t>(8).str(arch);
        f.str("general.name").put<uint32_t>(8).str(name);
        f.str("tokenizer.ggml.tokens").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(tokens.size());
        for (const auto& t : tokens) f.str(t);
        if (!chatTemplate.empty()) f.str("tokenizer.chat_template").put<uint32_t>(8).str(chatTemplate);
        while (f.b.size() % 32) f.b.push_back(0);
        return f;
    }
};

void expectError(const std::function<void()>& action, ErrorKind kind, const QString& expected) {
    try {
        action();
        QFAIL(qPrintable("expected the error: " + expected));
    } catch (const Error& e) {
        QCOMPARE(e.kind(), kind);
        QCOMPARE(QString::fromUtf8(e.what()), expected);
    }
}

}  // namespace

class TestChatTemplate : public QObject {
    Q_OBJECT

private slots:
    void expressions_data() {
        QTest::addColumn<int>("index");
        const auto& cases = field(expressionsSpec(), "cases").list();
        for (size_t i = 0; i < cases.size(); ++i)
            QTest::newRow(field(cases[i], "name").asString().c_str()) << static_cast<int>(i);
    }

    // Filters, tests, methods, loops, macros and whitespace control, each row
    // compared with what jinja2 renders under Hugging Face's settings.
    void expressions() {
        QFETCH(int, index);
        const jinja::Value& c = field(expressionsSpec(), "cases").list()[static_cast<size_t>(index)];
        const std::string got = renderJinja(field(c, "source").asString(), field(expressionsSpec(), "context").dict());
        QCOMPARE(QString::fromStdString(got), QString::fromStdString(field(c, "expected").asString()));
    }

    void conversations_data() {
        QTest::addColumn<int>("index");
        const auto& cases = field(casesSpec(), "cases").list();
        for (size_t i = 0; i < cases.size(); ++i)
            QTest::newRow(field(cases[i], "name").asString().c_str()) << static_cast<int>(i);
    }

    // System, user, assistant, user (and other conversations) rendered by the
    // real models' templates, the built-ins and well-known model templates.
    void conversations() {
        QFETCH(int, index);
        const jinja::Value& c = field(casesSpec(), "cases").list()[static_cast<size_t>(index)];
        const std::string name = field(c, "name").asString();
        const std::string source = field(c, "source").asString();
        const std::string bos = field(c, "bos").asString();
        const std::string eos = field(c, "eos").asString();
        const bool generation = field(c, "generation").asBool();
        const jinja::Value& messages = field(field(casesSpec(), "conversations"), field(c, "conversation").asString().c_str());
        const bool withTools = c.dict().find("tools") != nullptr;
        const jinja::Value& tools = field(casesSpec(), "tools");
        const std::string expected = readFile(kDataDir + "/expected/" + name + ".txt");

        const std::string kind = source.substr(0, source.find(':'));
        const std::string ref = source.substr(source.find(':') + 1);
        std::string got;
        if (kind == "model") {
            NIBBLE_REQUIRE_MODEL(path, QString::fromStdString(ref));
            gguf::GgufFile file(path);
            auto messagesList = asChatMessages(messages);
            QVERIFY(messagesList);
            got = ChatTemplate::fromGguf(file, bos, eos).render(*messagesList, generation);
        } else {
            const std::string text = kind == "builtin" ? std::string(*builtinTemplateSource(ref)) : readFile(kDataDir + "/" + ref);
            auto messagesList = asChatMessages(messages);
            const jinja::Value* variables = c.dict().find("variables");
            if (messagesList && !variables) {
                const ChatTemplate tmpl(text, bos, eos);
                got = withTools ? tmpl.render(*messagesList, generation, jinja::toJson(tools))
                                : tmpl.render(*messagesList, generation);
            } else {
                // Tool calls and fixed dates need variables ChatTemplate does not take.
                jinja::ValueDict vars;
                vars.set("messages", messages);
                vars.set("add_generation_prompt", jinja::Value(generation));
                vars.set("bos_token", jinja::Value(bos));
                vars.set("eos_token", jinja::Value(eos));
                vars.set("tools", withTools ? tools : jinja::Value(nullptr));
                if (variables)
                    for (const auto& [k, v] : variables->dict().entries) vars.set(k, v);
                got = renderJinja(text, vars);
            }
        }
        QCOMPARE(QString::fromStdString(got), QString::fromStdString(expected));
    }

    void smolLM2UsesItsOwnTemplate() {
        NIBBLE_REQUIRE_MODEL(path, nibble::test::kSmolLM2);
        gguf::GgufFile file(path);
        const ChatTemplate tmpl = ChatTemplate::fromGguf(file, "<|im_start|>", "<|im_end|>");
        QCOMPARE(tmpl.source(), std::string(*file.getString("tokenizer.chat_template")));
        // SmolLM2's BOS token is <|im_start|> itself, so its ChatML prompt does
        // begin with the BOS token even though the template never prints bos_token.
        QVERIFY(tmpl.emitsBos());
        QVERIFY(!ChatTemplate::fromGguf(file, "<|endoftext|>", "<|im_end|>").emitsBos());
        // With no system message the template supplies SmolLM's own.
        QCOMPARE(QString::fromStdString(tmpl.render({{"user", "Hi"}}, true)),
                 QString("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
                         "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
    }

    void gemma3WithoutTemplateFallsBackToGemma() {
        NIBBLE_REQUIRE_MODEL(path, nibble::test::kGemma3);
        gguf::GgufFile file(path);
        QVERIFY(!file.getString("tokenizer.chat_template"));
        const ChatTemplate tmpl = ChatTemplate::fromGguf(file, "<bos>", "<eos>");
        QCOMPARE(tmpl.source(), std::string(*builtinTemplateSource("gemma")));
        QVERIFY(tmpl.emitsBos());
        QCOMPARE(QString::fromStdString(tmpl.render({{"user", " Hi "}}, true)),
                 QString("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"));
    }

    void fallbackSelection_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QStringList>("tokens");
        QTest::addColumn<QString>("expected");
        QTest::newRow("gemma2") << "gemma2" << "Gemma 2 2b" << QStringList{"<bos>"} << "gemma";
        QTest::newRow("gemma3") << "gemma3" << "Gemma 3 270m" << QStringList{"<bos>"} << "gemma";
        QTest::newRow("phi3") << "phi3" << "Phi 3.5 Mini" << QStringList{"<s>"} << "phi3";
        QTest::newRow("llama3 by eot_id") << "llama" << "Meta Llama 3 8B" << QStringList{"<|begin_of_text|>", "<|eot_id|>"} << "llama3";
        QTest::newRow("mistral by name") << "llama" << "Mistral 7B Instruct v0.3" << QStringList{"<s>", "</s>"} << "mistral";
        QTest::newRow("qwen2") << "qwen2" << "Qwen2.5 0.5B Instruct" << QStringList{"<|endoftext|>"} << "chatml";
        QTest::newRow("im_start in vocab") << "llama" << "SmolLM2" << QStringList{"<|im_start|>", "<|im_end|>"} << "chatml";
        QTest::newRow("llama2 by name") << "llama" << "Llama-2-7b-chat" << QStringList{"<s>", "</s>"} << "llama2";
        QTest::newRow("unknown") << "gpt2" << "gpt2" << QStringList{"<|endoftext|>"} << "chatml";
    }

    void fallbackSelection() {
        QFETCH(QString, arch);
        QFETCH(QString, name);
        QFETCH(QStringList, tokens);
        QFETCH(QString, expected);
        std::vector<std::string> vocab;
        for (const auto& t : tokens) vocab.push_back(t.toStdString());
        const auto bytes = GgufBytes::file(arch.toStdString(), name.toStdString(), vocab).b;
        gguf::GgufFile file(std::span<const uint8_t>(bytes.data(), bytes.size()), "test.gguf");
        QCOMPARE(QString::fromUtf8(fallbackTemplateName(file).data(), static_cast<int>(fallbackTemplateName(file).size())), expected);
        QCOMPARE(ChatTemplate::fromGguf(file, "<s>", "</s>").source(), std::string(*builtinTemplateSource(expected.toStdString())));
    }

    void embeddedTemplateWinsOverFallback() {
        const auto bytes = GgufBytes::file("gemma3", "Gemma", {"<bos>"}, "{{ bos_token }}[{{ messages[0].content }}]").b;
        gguf::GgufFile file(std::span<const uint8_t>(bytes.data(), bytes.size()), "test.gguf");
        const ChatTemplate tmpl = ChatTemplate::fromGguf(file, "<B>", "<E>");
        QCOMPARE(tmpl.render({{"user", "x"}}, true), std::string("<B>[x]"));
        QVERIFY(tmpl.emitsBos());
    }

    void builtinsKnowWhetherTheyEmitBos_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("emitsBos");
        QTest::newRow("chatml") << "chatml" << false;
        QTest::newRow("llama3") << "llama3" << true;
        QTest::newRow("gemma") << "gemma" << true;
        QTest::newRow("mistral") << "mistral" << true;
        QTest::newRow("phi3") << "phi3" << false;
        QTest::newRow("llama2") << "llama2" << true;
    }

    void builtinsKnowWhetherTheyEmitBos() {
        QFETCH(QString, name);
        QFETCH(bool, emitsBos);
        const ChatTemplate tmpl = ChatTemplate::builtin(name.toStdString(), "<s>", "</s>");
        QCOMPARE(tmpl.emitsBos(), emitsBos);
        const std::string prompt = tmpl.render({{"user", "Ping"}}, true);
        QVERIFY2(prompt.find("Ping") != std::string::npos, prompt.c_str());
        QCOMPARE(prompt.starts_with("<s>"), emitsBos);
    }

    void unknownBuiltinIsRejected() {
        expectError([] { ChatTemplate::builtin("vicuna", "", ""); }, ErrorKind::InvalidArgument,
                    "there is no built-in chat template called 'vicuna'");
    }

    void emptySourceMeansChatml() {
        QCOMPARE(ChatTemplate("", "", "").source(), std::string(*builtinTemplateSource("chatml")));
    }

    void syntaxErrorsNameTheLine_data() {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("message");
        QTest::newRow("stray end tag") << "Hello\n{% if x %}\nA\n{% endfor %}" << "unexpected 'endfor' tag at line 4";
        QTest::newRow("missing endfor") << "a\n{% for x in y %}\nb\n" << "the template ended while looking for 'endfor' or 'else' at line 3";
        QTest::newRow("bad expression") << "line\n\n{{ x + }}" << "expected an expression but found '}}' at line 3";
        QTest::newRow("unterminated string") << "{{ 'abc }}" << "unterminated string at line 1";
        QTest::newRow("unterminated tag") << "ok\n{{ x" << "unterminated {{ expression at line 2";
        QTest::newRow("unterminated comment") << "a\n\n{# never closed" << "unterminated comment at line 3";
        QTest::newRow("unsupported tag") << "a\n{% include 'x.j2' %}" << "unknown or unsupported tag 'include' at line 2";
        QTest::newRow("bad character") << "{{ a ! b }}" << "unexpected character '!' at line 1";
        QTest::newRow("unbalanced bracket") << "{{ [1, 2) }}" << "unexpected ')' at line 1";
    }

    void syntaxErrorsNameTheLine() {
        QFETCH(QString, source);
        QFETCH(QString, message);
        expectError([&] { ChatTemplate(source.toStdString(), "", ""); }, ErrorKind::InvalidFile,
                    "the model's chat template has a syntax error: " + message);
    }

    void raiseExceptionRejectsTheConversation() {
        const ChatTemplate mistral = ChatTemplate::builtin("mistral", "<s>", "</s>");
        expectError([&] { mistral.render({{"user", "a"}, {"user", "b"}}, true); }, ErrorKind::InvalidFile,
                    "the model's chat template rejected the conversation: After the optional system message, "
                    "conversation roles must alternate user/assistant/user/assistant/... at line 10");
        const ChatTemplate mistralV3(readFile(kDataDir + "/mistral-v0.3.jinja"), "<s>", "</s>");
        expectError([&] { mistralV3.render({{"system", "s"}, {"assistant", "a"}}, true); }, ErrorKind::InvalidFile,
                    "the model's chat template rejected the conversation: After the optional system message, "
                    "conversation roles must alternate user/assistant/user/assistant/... at line 18");
        expectError([&] { ChatTemplate("{{ raise_exception('Only ' ~ 2 ~ ' roles') }}", "", "").render({}, true); },
                    ErrorKind::InvalidFile, "the model's chat template rejected the conversation: Only 2 roles at line 1");
    }

    void runtimeErrorsNameTheLine() {
        expectError([] { ChatTemplate("x\n\n{{ 1 + 'a' }}", "", "").render({}, true); }, ErrorKind::InvalidFile,
                    "the model's chat template failed: cannot apply '+' to an integer and a string at line 3");
        expectError([] { ChatTemplate("{{ messages|bogus }}", "", "").render({}, true); }, ErrorKind::InvalidFile,
                    "the model's chat template failed: no filter named 'bogus' at line 1");
        expectError([] { ChatTemplate("{%- set x = 1 %}\n{{ undefined_function() }}", "", "").render({}, true); },
                    ErrorKind::InvalidFile, "the model's chat template failed: 'undefined_function' is undefined at line 2");
        expectError([] { ChatTemplate("{% set x = 'a' %}{% set x.y = 1 %}", "", "").render({}, true); },
                    ErrorKind::InvalidFile,
                    "the model's chat template failed: cannot set 'x.y': only namespace() objects can be changed at line 1");
        expectError([] { ChatTemplate("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "", "").render({}, true); },
                    ErrorKind::InvalidFile,
                    "chat template is too complex: macro 'f' calls itself more than 32 levels deep at line 1");
    }

    void invalidToolsJsonIsTheCallersError() {
        const ChatTemplate tmpl = ChatTemplate::builtin("chatml", "", "");
        expectError([&] { tmpl.render({{"user", "x"}}, true, "[{\"type\": }]"); }, ErrorKind::InvalidArgument,
                    "the tool definitions are not valid JSON: invalid JSON at offset 10: unexpected character");
    }

    void globalsHuggingFaceProvides() {
        const ChatTemplate tmpl("{{ tools is none }}|{{ date_string|length > 6 }}|{{ strftime_now('%Y')|int > 2000 }}|"
                                "{{ bos_token }}{{ eos_token }}|{{ add_generation_prompt }}|{{ messages|length }}",
                                "<s>", "</s>");
        QCOMPARE(tmpl.render({{"user", "a"}, {"assistant", "b"}}, false), std::string("True|True|True|<s></s>|False|2"));
    }

    void undefinedValuesAreEmptyAndFalsy() {
        jinja::ValueDict vars;
        vars.set("m", jinja::parseJson("{\"role\": \"user\"}"));
        QCOMPARE(renderJinja("[{{ nothing }}][{{ m.content }}][{{ m.tool_calls is defined }}][{{ m.content.x }}]"
                             "[{% if m.tool_calls %}x{% endif %}][{{ nothing|length }}]",
                             vars),
                 std::string("[][][False][][][0]"));
    }

    void crlfAndFinalNewline() {
        QCOMPARE(renderJinja("a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", {}), std::string("a\nb\n"));
        QCOMPARE(renderJinja("text\n", {}), std::string("text"));
        QCOMPARE(renderJinja("text\n\n", {}), std::string("text\n"));
    }

    void jsonRoundTrip() {
        const std::string text =
            "{\"a\": [1, -2.5, 1e+20, true, false, null], \"s\": \"q\\\"\\\\\\n\\u00e9\\ud83d\\ude00\", \"o\": {}}";
        const jinja::Value v = jinja::parseJson(text);
        QCOMPARE(jinja::toJson(v), std::string("{\"a\": [1, -2.5, 1e+20, true, false, null], \"s\": \"q\\\"\\\\\\n\xC3\xA9\xF0\x9F\x98\x80\", \"o\": {}}"));
        jinja::JsonFormat ascii;
        ascii.ensureAscii = true;
        QCOMPARE(jinja::toJson(jinja::Value("\xC3\xA9\xF0\x9F\x98\x80"), ascii), std::string("\"\\u00e9\\ud83d\\ude00\""));
    }
};

QTEST_GUILESS_MAIN(TestChatTemplate)
#include "test_chat_template.moc"
