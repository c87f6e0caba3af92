import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// One message. The user's sit in a bubble on the right; replies take the
// full width, render Markdown with framed code blocks, and end with a footer
// naming the variant that wrote them and how fast.
Item {
    id: message
    required property int index
    required property var messageId
    required property string role
    required property string content
    required property var segments
    required property string status
    required property var tokensPerSecond
    required property var tokenCount
    required property string variantLabel
    required property int branchIndex
    required property int branchCount
    required property string error

    readonly property bool fromUser: role === "user"
    readonly property bool streaming: status === "streaming"
    property bool editing: false

    implicitHeight: column.implicitHeight
    height: implicitHeight

    HoverHandler { id: hover }

    ColumnLayout {
        id: column
        width: parent.width
        spacing: 6

        // The user's message, or its editor.
        Rectangle {
            visible: message.fromUser && !message.editing
            Layout.alignment: Qt.AlignRight
            Layout.maximumWidth: message.width * 0.8
            implicitWidth: userText.implicitWidth + 28
            implicitHeight: userText.implicitHeight + 20
            radius: 16
            color: Theme.userBubble
            TextEdit {
                id: userText
                anchors.fill: parent
                anchors.margins: 10
                anchors.leftMargin: 14
                anchors.rightMargin: 14
                text: message.content
                readOnly: true
                selectByMouse: true
                wrapMode: TextEdit.Wrap
                color: Theme.text
                font.pixelSize: 14
                selectionColor: Theme.accent
                selectedTextColor: Theme.accentText
            }
        }

        ColumnLayout {
            visible: message.editing
            Layout.fillWidth: true
            spacing: 6
            TextArea {
                id: editor
                Layout.fillWidth: true
                wrapMode: TextEdit.Wrap
                color: Theme.text
                background: Rectangle { radius: 10; color: Theme.surface; border.color: Theme.accent }
            }
            RowLayout {
                Layout.alignment: Qt.AlignRight
                Button {
                    text: qsTr("Cancel")
                    flat: true
                    onClicked: message.editing = false
                }
                Button {
                    text: message.fromUser ? qsTr("Save and send") : qsTr("Save")
                    highlighted: true
                    onClicked: { message.editing = false; Chat.edit(message.index, editor.text) }
                }
            }
        }

        // The reply, prose and code blocks in turn.
        ColumnLayout {
            visible: !message.fromUser && !message.editing
            Layout.fillWidth: true
            spacing: 10
            Repeater {
                model: message.fromUser ? [] : message.segments
                delegate: Loader {
                    id: segment
                    required property var modelData
                    Layout.fillWidth: true
                    sourceComponent: modelData.kind === "code" ? codeComponent : proseComponent
                    Component {
                        id: proseComponent
                        TextEdit {
                            text: segment.modelData.text
                            textFormat: TextEdit.MarkdownText
                            readOnly: true
                            selectByMouse: true
                            wrapMode: TextEdit.Wrap
                            color: Theme.text
                            font.pixelSize: 14
                            selectionColor: Theme.accent
                            selectedTextColor: Theme.accentText
                            onLinkActivated: (link) => Qt.openUrlExternally(link)
                        }
                    }
                    Component {
                        id: codeComponent
                        CodeBlock {
                            code: segment.modelData.text
                            language: segment.modelData.language
                        }
                    }
                }
            }
            // Reading the whole conversation again (another precision, or
            // another conversation, was read last): say so, with how much is
            // read, as it can take many seconds on a small CPU.
            RowLayout {
                objectName: "readingConversation"
                visible: message.streaming && message.content.length === 0 && Chat.reading.length > 0
                Layout.fillWidth: true
                spacing: 10
                Label {
                    objectName: "readingConversationText"
                    text: Chat.readingTotal > 0
                          ? qsTr("%1 %2 of %3 tokens").arg(Chat.reading)
                                .arg(Chat.readingDone.toLocaleString(Qt.locale(), "f", 0))
                                .arg(Chat.readingTotal.toLocaleString(Qt.locale(), "f", 0))
                          : Chat.reading
                    color: Theme.mutedText
                    font.pixelSize: 13
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                ProgressBar {
                    objectName: "readingConversationBar"
                    indeterminate: Chat.readingTotal === 0
                    from: 0
                    to: Math.max(1, Chat.readingTotal)
                    value: Chat.readingDone
                    Layout.preferredWidth: 120
                }
            }
            // Thinking: nothing has arrived yet.
            Row {
                visible: message.streaming && message.content.length === 0
                spacing: 5
                Repeater {
                    model: 3
                    Rectangle {
                        required property int index
                        width: 7
                        height: 7
                        radius: 3.5
                        color: Theme.mutedText
                        SequentialAnimation on opacity {
                            loops: Animation.Infinite
                            running: message.streaming
                            PauseAnimation { duration: index * 150 }
                            NumberAnimation { from: 0.25; to: 1; duration: 350 }
                            NumberAnimation { from: 1; to: 0.25; duration: 350 }
                            PauseAnimation { duration: (2 - index) * 150 }
                        }
                    }
                }
            }
        }

        // Footer: versions, actions, and for replies the variant and speed.
        RowLayout {
            Layout.fillWidth: true
            Layout.alignment: message.fromUser ? Qt.AlignRight : Qt.AlignLeft
            spacing: 2
            visible: !message.editing

            Item { visible: message.fromUser; Layout.fillWidth: true }

            IconButton {
                visible: message.branchCount > 1
                iconName: "chevron-left"
                tip: qsTr("Previous version")
                enabled: message.branchIndex > 0 && !Chat.generating
                implicitWidth: 24; implicitHeight: 24; padding: 3
                onClicked: Chat.switchBranch(message.index, -1)
            }
            Label {
                visible: message.branchCount > 1
                text: (message.branchIndex + 1) + " / " + message.branchCount
                color: Theme.mutedText
                font.pixelSize: 12
            }
            IconButton {
                visible: message.branchCount > 1
                iconName: "chevron-right"
                tip: qsTr("Next version")
                enabled: message.branchIndex < message.branchCount - 1 && !Chat.generating
                implicitWidth: 24; implicitHeight: 24; padding: 3
                onClicked: Chat.switchBranch(message.index, 1)
            }

            Label {
                objectName: "replyFooter"
                visible: !message.fromUser
                Layout.rightMargin: 6
                color: message.status === "error" ? Theme.danger : Theme.mutedText
                font.pixelSize: 12
                text: {
                    if (message.streaming) return qsTr("%1 · writing…").arg(message.variantLabel)
                    const parts = []
                    if (message.variantLabel.length > 0) parts.push(message.variantLabel)
                    if (message.tokensPerSecond !== undefined && message.tokensPerSecond > 0)
                        parts.push(qsTr("%1 tokens/s").arg(Number(message.tokensPerSecond).toFixed(1)))
                    if (message.tokenCount !== undefined)
                        parts.push(message.tokenCount === 1 ? qsTr("1 token") : qsTr("%1 tokens").arg(message.tokenCount))
                    if (message.status === "interrupted") parts.push(qsTr("stopped"))
                    if (message.status === "error") parts.push(message.error.length > 0 ? message.error : qsTr("failed"))
                    return parts.join("  ·  ")
                }
            }

            Row {
                opacity: hover.hovered && !message.streaming ? 1 : 0
                Behavior on opacity { NumberAnimation { duration: 120 } }
                IconButton {
                    iconName: "copy"
                    tip: qsTr("Copy")
                    implicitWidth: 26; implicitHeight: 26; padding: 4
                    onClicked: Chat.copyToClipboard(message.content)
                }
                IconButton {
                    iconName: "edit"
                    tip: qsTr("Edit")
                    enabled: !Chat.generating
                    implicitWidth: 26; implicitHeight: 26; padding: 4
                    onClicked: { editor.text = message.content; message.editing = true; editor.forceActiveFocus() }
                }
                IconButton {
                    visible: !message.fromUser && message.index === Chat.messages.count - 1
                    iconName: "refresh"
                    tip: qsTr("Regenerate")
                    enabled: !Chat.generating
                    implicitWidth: 26; implicitHeight: 26; padding: 4
                    onClicked: Chat.regenerate()
                }
                IconButton {
                    iconName: "trash"
                    tip: qsTr("Delete this message and the replies after it")
                    enabled: !Chat.generating
                    implicitWidth: 26; implicitHeight: 26; padding: 4
                    onClicked: Chat.removeMessage(message.index)
                }
            }
        }
    }
}
