import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

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
                        currentIndex: indexOfValue(appSettings.theme)
                        onActivated: appSettings.theme = currentValue
                    }
                }
            }

            SettingsSection {
                title: qsTr("Compute")
                SettingRow {
                    label: qsTr("Device")
                    hint: devices.note.length > 0 ? devices.note
                                                   : qsTr("Where models run. A change applies when the next reply starts.")
                    ComboBox {
                        id: deviceChoice
                        objectName: "deviceChoice"
                        width: 280
                        model: devices.devices
                        textRole: "label"
                        valueRole: "value"
                        currentIndex: Math.max(0, indexOfValue(appSettings.device))
                        onActivated: appSettings.device = currentValue
                        delegate: ItemDelegate {
                            id: deviceItem
                            required property var modelData
                            required property int index
                            width: deviceChoice.width
                            // On the highlight (the accent, as palette.light says) in its text colour.
                            contentItem: Column {
                                Label { text: modelData.label; color: deviceItem.highlighted ? theme.accentText : theme.text }
                                Label {
                                    text: modelData.detail
                                    color: deviceItem.highlighted ? theme.accentText : theme.mutedText
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
                        value: appSettings.contextLength
                        onValueModified: appSettings.contextLength = value
                    }
                }
            }

            SettingsSection {
                title: qsTr("Generation defaults")
                Label {
                    Layout.fillWidth: true
                    text: qsTr("New conversations start with these; each conversation can change them in its own settings. Models whose makers recommend other values (Gemma, SmolLM2) use those for anything left at its default here.")
                    color: theme.mutedText
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
                            value: appSettings.temperature
                            onMoved: appSettings.temperature = value
                        }
                        Label { text: Number(appSettings.temperature).toFixed(2); color: theme.text }
                    }
                }
                SettingRow {
                    label: qsTr("Top-p")
                    hint: qsTr("Keep the likeliest words that together reach this probability.")
                    NumberField { value: appSettings.topP; onEdited: (v) => appSettings.topP = v }
                }
                SettingRow {
                    label: qsTr("Top-k")
                    hint: qsTr("Keep at most this many candidate words; 0 turns it off.")
                    NumberField { value: appSettings.topK; decimals: 0; onEdited: (v) => appSettings.topK = Math.round(v) }
                }
                SettingRow {
                    label: qsTr("Min-p")
                    hint: qsTr("Drop words less likely than this fraction of the likeliest.")
                    NumberField { value: appSettings.minP; onEdited: (v) => appSettings.minP = v }
                }
                SettingRow {
                    label: qsTr("Repeat penalty")
                    hint: qsTr("Above 1 discourages repeating recent words.")
                    NumberField { value: appSettings.repeatPenalty; onEdited: (v) => appSettings.repeatPenalty = v }
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
                        value: appSettings.maxTokens
                        onValueModified: appSettings.maxTokens = value
                    }
                }
                SettingRow {
                    label: qsTr("Seed")
                    hint: qsTr("The same seed and settings give the same reply; 0 picks a new one each time.")
                    NumberField { value: appSettings.seed; decimals: 0; onEdited: (v) => appSettings.seed = Math.round(v) }
                }
                SettingRow {
                    label: qsTr("System prompt")
                    hint: qsTr("Instructions given to the model at the start of every new conversation.")
                    ScrollView {
                        width: 280
                        height: 84
                        TextArea {
                            text: appSettings.systemPrompt
                            wrapMode: TextEdit.Wrap
                            color: theme.text
                            placeholderText: qsTr("e.g. You are a concise assistant.")
                            onEditingFinished: appSettings.systemPrompt = text
                            background: Rectangle { radius: 8; color: theme.window; border.color: theme.border }
                        }
                    }
                }
                Button {
                    Layout.alignment: Qt.AlignRight
                    text: qsTr("Restore defaults")
                    flat: true
                    onClicked: appSettings.resetSampling()
                }
            }

            SettingsSection {
                title: qsTr("Local API server")
                SettingRow {
                    label: qsTr("OpenAI-compatible server")
                    hint: apiServer.running ? qsTr("Listening on %1 (this computer only).").arg(apiServer.url)
                        : apiServer.error.length > 0 ? apiServer.error
                        : qsTr("Lets editors and scripts on this computer use your models through the OpenAI API.")
                    Switch {
                        objectName: "apiEnabled"
                        checked: appSettings.apiEnabled
                        onToggled: appSettings.apiEnabled = checked
                    }
                }
                SettingRow {
                    label: qsTr("Port")
                    NumberField {
                        objectName: "apiPort"
                        decimals: 0
                        value: appSettings.apiPort
                        onEdited: (v) => appSettings.apiPort = Math.round(v)
                    }
                }
                SettingRow {
                    label: qsTr("API key")
                    hint: appSettings.apiKey.length > 0
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
                            text: appSettings.apiKey
                            color: theme.text
                            readOnly: true
                            selectByMouse: true
                        }
                        RowLayout {
                            Layout.alignment: Qt.AlignRight
                            Button {
                                objectName: "copyApiKey"
                                text: qsTr("Copy")
                                flat: true
                                enabled: appSettings.apiKey.length > 0
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
                                onClicked: appSettings.regenerateApiKey()
                            }
                        }
                    }
                }
                SettingRow {
                    label: qsTr("Keep API conversations")
                    hint: qsTr("Save chats made through the server in the conversation list.")
                    Switch {
                        checked: appSettings.apiStoresConversations
                        onToggled: appSettings.apiStoresConversations = checked
                    }
                }
                SettingRow {
                    label: qsTr("Allowed web pages")
                    hint: qsTr("Origins, such as https://example.com, whose pages in a browser may call the server (with the key). Leave empty unless a web tool needs it.")
                    TextField {
                        objectName: "apiAllowedOrigins"
                        width: 280
                        text: appSettings.apiAllowedOrigins.join(", ")
                        color: theme.text
                        placeholderText: qsTr("none")
                        selectByMouse: true
                        onEditingFinished: {
                            appSettings.apiAllowedOrigins = text.split(/[\s,]+/).filter(origin => origin.length > 0)
                            text = Qt.binding(() => appSettings.apiAllowedOrigins.join(", "))
                        }
                    }
                }
            }

            SettingsSection {
                title: qsTr("Data")
                SettingRow {
                    label: qsTr("Data folder")
                    hint: appSettings.dataFolder
                    Button {
                        text: qsTr("Open folder")
                        icon.source: "qrc:/nibble/icons/folder.svg"
                        icon.width: 16
                        icon.height: 16
                        onClicked: Qt.openUrlExternally("file://" + appSettings.dataFolder)
                    }
                }
            }

            Item { implicitHeight: 16 }
        }
    }
}
