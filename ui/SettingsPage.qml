import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// Appearance, compute device, generation defaults, the local API server and where Nibble keeps its data.
Item {
    id: page

    ScrollView {
        id: scroll
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            width: Math.min(scroll.availableWidth - 48, 760)
            x: (scroll.availableWidth - width) / 2
            spacing: 16

            Item { implicitHeight: 8 }

            SettingsSection {
                title: qsTr("Appearance")
                SettingRow {
                    label: qsTr("Theme")
                    hint: qsTr("System follows your desktop's light or dark setting.")
                    ComboBox {
                        objectName: "themeChoice"
                        width: 280
                        textRole: "text"
                        valueRole: "value"
                        model: [{ value: "system", text: qsTr("System") }, { value: "light", text: qsTr("Light") },
                                { value: "dark", text: qsTr("Dark") }]
                        currentIndex: indexOfValue(AppSettings.theme)
                        onActivated: AppSettings.theme = currentValue
                    }
                }
            }

            SettingsSection {
                title: qsTr("Compute")
                SettingRow {
                    label: qsTr("Device")
                    hint: Devices.note.length > 0 ? Devices.note
                                                   : qsTr("Where models run. A change applies when the next reply starts.")
                    ComboBox {
                        id: deviceChoice
                        objectName: "deviceChoice"
                        width: 280
                        model: Devices.devices
                        textRole: "label"
                        valueRole: "value"
                        currentIndex: Math.max(0, indexOfValue(AppSettings.device))
                        onActivated: AppSettings.device = currentValue
                        delegate: ItemDelegate {
                            id: deviceItem
                            required property var modelData
                            required property int index
                            width: deviceChoice.width
                            // On the highlight (the accent, as palette.light says) in its text colour.
                            contentItem: Column {
                                Label { text: modelData.label; color: deviceItem.highlighted ? Theme.accentText : Theme.text }
                                Label {
                                    text: modelData.detail
                                    color: deviceItem.highlighted ? Theme.accentText : Theme.mutedText
                                    font.pixelSize: 11
                                }
                            }
                            highlighted: deviceChoice.highlightedIndex === index
                        }
                    }
                }
                SettingRow {
                    label: qsTr("Context window")
                    hint: qsTr("Tokens of conversation the model sees at once; 0 uses the model's own (up to 4096). Larger uses more memory.")
                    SpinBox {
                        width: 280
                        from: 0
                        to: 131072
                        stepSize: 512
                        editable: true
                        value: AppSettings.contextLength
                        onValueModified: AppSettings.contextLength = value
                    }
                }
            }

            SettingsSection {
                title: qsTr("Generation defaults")
                Label {
                    Layout.fillWidth: true
                    text: qsTr("New conversations start with these; each conversation can change them in its own settings. Models whose makers recommend other values (Gemma, SmolLM2) use those for anything left at its default here.")
                    color: Theme.mutedText
                    font.pixelSize: 12
                    wrapMode: Text.Wrap
                }
                SettingRow {
                    label: qsTr("Temperature")
                    hint: qsTr("Higher is more varied, 0 always picks the likeliest word.")
                    RowLayout {
                        width: 280
                        Slider {
                            Layout.fillWidth: true
                            from: 0
                            to: 2
                            stepSize: 0.05
                            value: AppSettings.temperature
                            onMoved: AppSettings.temperature = value
                        }
                        Label { text: Number(AppSettings.temperature).toFixed(2); color: Theme.text }
                    }
                }
                SettingRow {
                    label: qsTr("Top-p")
                    hint: qsTr("Keep the likeliest words that together reach this probability.")
                    NumberField { value: AppSettings.topP; onEdited: (v) => AppSettings.topP = v }
                }
                SettingRow {
                    label: qsTr("Top-k")
                    hint: qsTr("Keep at most this many candidate words; 0 turns it off.")
                    NumberField { value: AppSettings.topK; decimals: 0; onEdited: (v) => AppSettings.topK = Math.round(v) }
                }
                SettingRow {
                    label: qsTr("Min-p")
                    hint: qsTr("Drop words less likely than this fraction of the likeliest.")
                    NumberField { value: AppSettings.minP; onEdited: (v) => AppSettings.minP = v }
                }
                SettingRow {
                    label: qsTr("Repeat penalty")
                    hint: qsTr("Above 1 discourages repeating recent words.")
                    NumberField { value: AppSettings.repeatPenalty; onEdited: (v) => AppSettings.repeatPenalty = v }
                }
                SettingRow {
                    label: qsTr("Maximum reply length")
                    hint: qsTr("In tokens (roughly ¾ of a word each).")
                    SpinBox {
                        objectName: "maxTokens"
                        width: 280
                        from: 1
                        to: 32768
                        stepSize: 64
                        editable: true
                        value: AppSettings.maxTokens
                        onValueModified: AppSettings.maxTokens = value
                    }
                }
                SettingRow {
                    label: qsTr("Seed")
                    hint: qsTr("The same seed and settings give the same reply; 0 picks a new one each time.")
                    NumberField { value: AppSettings.seed; decimals: 0; onEdited: (v) => AppSettings.seed = Math.round(v) }
                }
                SettingRow {
                    label: qsTr("System prompt")
                    hint: qsTr("Instructions given to the model at the start of every new conversation.")
                    ScrollView {
                        width: 280
                        height: 84
                        TextArea {
                            text: AppSettings.systemPrompt
                            wrapMode: TextEdit.Wrap
                            color: Theme.text
                            placeholderText: qsTr("e.g. You are a concise assistant.")
                            onEditingFinished: AppSettings.systemPrompt = text
                            background: Rectangle { radius: 8; color: Theme.window; border.color: Theme.border }
                        }
                    }
                }
                Button {
                    Layout.alignment: Qt.AlignRight
                    text: qsTr("Restore defaults")
                    flat: true
                    onClicked: AppSettings.resetSampling()
                }
            }

            SettingsSection {
                title: qsTr("Local API server")
                SettingRow {
                    label: qsTr("OpenAI-compatible server")
                    hint: ApiServer.running ? qsTr("Listening on %1 (this computer only).").arg(ApiServer.url)
                        : ApiServer.error.length > 0 ? ApiServer.error
                        : qsTr("Lets editors and scripts on this computer use your models through the OpenAI API.")
                    Switch {
                        objectName: "apiEnabled"
                        checked: AppSettings.apiEnabled
                        onToggled: AppSettings.apiEnabled = checked
                    }
                }
                SettingRow {
                    label: qsTr("Port")
                    NumberField {
                        objectName: "apiPort"
                        decimals: 0
                        value: AppSettings.apiPort
                        onEdited: (v) => AppSettings.apiPort = Math.round(v)
                    }
                }
                SettingRow {
                    label: qsTr("API key")
                    hint: AppSettings.apiKey.length > 0
                          ? qsTr("Clients send it as \"Authorization: Bearer <key>\". A new key shuts out every client holding the old one.")
                          : qsTr("A key is made when the server is turned on.")
                    ColumnLayout {
                        objectName: "apiKeyRow"
                        width: 280
                        spacing: 4
                        TextField {
                            id: apiKeyField
                            objectName: "apiKey"
                            Layout.fillWidth: true
                            text: AppSettings.apiKey
                            color: Theme.text
                            readOnly: true
                            selectByMouse: true
                        }
                        RowLayout {
                            Layout.alignment: Qt.AlignRight
                            Button {
                                objectName: "copyApiKey"
                                text: qsTr("Copy")
                                flat: true
                                enabled: AppSettings.apiKey.length > 0
                                onClicked: {
                                    apiKeyField.selectAll()
                                    apiKeyField.copy()
                                    apiKeyField.deselect()
                                }
                            }
                            Button {
                                objectName: "regenerateApiKey"
                                text: qsTr("Regenerate")
                                flat: true
                                onClicked: AppSettings.regenerateApiKey()
                            }
                        }
                    }
                }
                SettingRow {
                    label: qsTr("Keep API conversations")
                    hint: qsTr("Save chats made through the server in the conversation list.")
                    Switch {
                        checked: AppSettings.apiStoresConversations
                        onToggled: AppSettings.apiStoresConversations = checked
                    }
                }
                SettingRow {
                    label: qsTr("Allowed web pages")
                    hint: qsTr("Origins, such as https://example.com, whose pages in a browser may call the server (with the key). Leave empty unless a web tool needs it.")
                    TextField {
                        objectName: "apiAllowedOrigins"
                        width: 280
                        // A function, not .join in the binding: Qt 6.4's qmllint
                        // knows QStringList without JavaScript's array methods.
                        function shown(origins) { return origins.join(", ") }
                        text: shown(AppSettings.apiAllowedOrigins)
                        color: Theme.text
                        placeholderText: qsTr("none")
                        selectByMouse: true
                        onEditingFinished: {
                            AppSettings.apiAllowedOrigins = text.split(/[\s,]+/).filter(origin => origin.length > 0)
                            text = Qt.binding(() => shown(AppSettings.apiAllowedOrigins))
                        }
                    }
                }
            }

            SettingsSection {
                title: qsTr("Hugging Face")
                SettingRow {
                    label: qsTr("Access token")
                    hint: qsTr("Only for gated models: accept the model's licence on huggingface.co, then paste a read token made at huggingface.co/settings/tokens. It is sent to huggingface.co alone and kept in settings.ini in the data folder, which only your user account can read.")
                    TextField {
                        objectName: "hubToken"
                        width: 280
                        text: AppSettings.hubToken
                        echoMode: TextInput.Password
                        color: Theme.text
                        placeholderText: qsTr("none (hf_…)")
                        selectByMouse: true
                        onEditingFinished: AppSettings.hubToken = text
                    }
                }
            }

            SettingsSection {
                title: qsTr("Data")
                SettingRow {
                    label: qsTr("Data folder")
                    hint: AppSettings.dataFolder
                    Button {
                        text: qsTr("Open folder")
                        icon.source: "qrc:/nibble/icons/folder.svg"
                        icon.width: 16
                        icon.height: 16
                        onClicked: Qt.openUrlExternally("file://" + AppSettings.dataFolder)
                    }
                }
            }

            Item { implicitHeight: 16 }
        }
    }
}
