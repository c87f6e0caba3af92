import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// The open conversation's own system prompt and sampling, in a drawer from
// the chat header. Save applies them from the next reply on; Reset brings
// back the defaults (Settings, over the model's recommended values).
Drawer {
    id: panel
    objectName: "conversationSettingsPanel"
    parent: Overlay.overlay
    edge: Qt.RightEdge
    width: 380
    height: parent.height
    modal: true
    background: Rectangle { color: Theme.surface; border.color: Theme.border }

    readonly property var defaults: Chat.defaultSettings

    // One labelled setting, with the default it would have.
    component Setting: ColumnLayout {
        id: setting
        property string label
        property string defaultText
        default property alias control: holder.data
        Layout.fillWidth: true
        spacing: 4
        RowLayout {
            Layout.fillWidth: true
            Label { Layout.fillWidth: true; text: setting.label; color: Theme.text }
            Label { text: setting.defaultText; color: Theme.mutedText; font.pixelSize: 11 }
        }
        Item {
            id: holder
            Layout.fillWidth: true
            Layout.preferredHeight: childrenRect.height
        }
    }

    // The number fields by the key Chat.conversationSettings gives each.
    readonly property var numberFields: ({ temperature: temperature, topP: topP, topK: topK, minP: minP,
                                           repeatPenalty: repeatPenalty, maxTokens: maxTokens, seed: seed })

    function load() { fill(Chat.conversationSettings) }
    // settings as a parameter: the QML linter of Qt 6.4 sees no keys in a
    // QVariantMap property.
    function fill(settings) {
        systemPrompt.text = settings.systemPrompt
        for (const key in numberFields) {
            const field = numberFields[key]
            field.text = Number(settings[key]).toFixed(field.decimals)
        }
    }
    // What the fields hold; one left invalid keeps its saved value.
    function values() {
        const result = { systemPrompt: systemPrompt.text }
        for (const key in numberFields)
            if (numberFields[key].acceptableInput) result[key] = Number(numberFields[key].text)
        return result
    }
    onAboutToShow: load()

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 20
        spacing: 14

        Label {
            text: qsTr("Conversation settings")
            color: Theme.text
            font.pixelSize: 17
            font.weight: Font.DemiBold
        }
        Label {
            Layout.fillWidth: true
            text: Chat.conversationId > 0 ? qsTr("For “%1” only; they apply from the next reply.").arg(Chat.title)
                                          : qsTr("For the new chat you are about to start.")
            color: Theme.mutedText
            font.pixelSize: 12
            wrapMode: Text.Wrap
        }

        ScrollView {
            id: scroll
            Layout.fillWidth: true
            Layout.fillHeight: true
            contentWidth: availableWidth
            clip: true

            ColumnLayout {
                width: scroll.availableWidth
                spacing: 12

                Setting {
                    label: qsTr("System prompt")
                    ScrollView {
                        width: parent.width
                        height: 110
                        TextArea {
                            id: systemPrompt
                            objectName: "conversationSystemPrompt"
                            wrapMode: TextEdit.Wrap
                            color: Theme.text
                            selectByMouse: true
                            placeholderText: qsTr("e.g. You are a concise assistant.")
                            background: Rectangle { radius: 8; color: Theme.window; border.color: Theme.border }
                        }
                    }
                }
                Setting {
                    label: qsTr("Temperature")
                    defaultText: qsTr("default %1").arg(Number(panel.defaults.temperature).toFixed(2))
                    NumberField { id: temperature; objectName: "conversationTemperature"; width: parent.width }
                }
                Setting {
                    label: qsTr("Top-p")
                    defaultText: qsTr("default %1").arg(Number(panel.defaults.topP).toFixed(2))
                    NumberField { id: topP; objectName: "conversationTopP"; width: parent.width }
                }
                Setting {
                    label: qsTr("Top-k")
                    defaultText: qsTr("default %1").arg(panel.defaults.topK)
                    NumberField { id: topK; objectName: "conversationTopK"; decimals: 0; width: parent.width }
                }
                Setting {
                    label: qsTr("Min-p")
                    defaultText: qsTr("default %1").arg(Number(panel.defaults.minP).toFixed(2))
                    NumberField { id: minP; objectName: "conversationMinP"; width: parent.width }
                }
                Setting {
                    label: qsTr("Repeat penalty")
                    defaultText: qsTr("default %1").arg(Number(panel.defaults.repeatPenalty).toFixed(2))
                    NumberField { id: repeatPenalty; objectName: "conversationRepeatPenalty"; width: parent.width }
                }
                Setting {
                    label: qsTr("Maximum reply length (tokens)")
                    defaultText: qsTr("default %1").arg(panel.defaults.maxTokens)
                    NumberField { id: maxTokens; objectName: "conversationMaxTokens"; decimals: 0; width: parent.width }
                }
                Setting {
                    label: qsTr("Seed (0: new each reply)")
                    defaultText: qsTr("default %1").arg(panel.defaults.seed)
                    NumberField { id: seed; objectName: "conversationSeed"; decimals: 0; width: parent.width }
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 8
            Button {
                objectName: "resetConversationSettings"
                text: qsTr("Reset to defaults")
                flat: true
                onClicked: { Chat.resetConversationSettings(); panel.load() }
            }
            Item { Layout.fillWidth: true }
            Button {
                objectName: "cancelConversationSettings"
                text: qsTr("Cancel")
                flat: true
                onClicked: panel.close()
            }
            Button {
                objectName: "saveConversationSettings"
                text: qsTr("Save")
                highlighted: true
                onClicked: { Chat.saveConversationSettings(panel.values()); panel.close() }
            }
        }
    }
}
