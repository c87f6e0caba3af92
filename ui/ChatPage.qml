import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// Conversations on the left, the open conversation on the right.
Item {
    id: page

    RowLayout {
        anchors.fill: parent
        spacing: 0

        ConversationSidebar {
            Layout.fillHeight: true
            Layout.preferredWidth: 272
        }

        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: Theme.window

            ListView {
                id: messageList
                objectName: "messageList"
                anchors.top: parent.top
                anchors.bottom: noticeBar.top
                anchors.horizontalCenter: parent.horizontalCenter
                width: Math.min(parent.width - 48, 820)
                clip: true
                spacing: 18
                topMargin: 24
                bottomMargin: 24
                model: Chat.messages
                boundsBehavior: Flickable.StopAtBounds
                ScrollBar.vertical: ScrollBar { parent: messageList.parent; anchors.right: parent.right; anchors.top: messageList.top; anchors.bottom: messageList.bottom }
                delegate: MessageDelegate { width: messageList.width }

                // Follow a streaming reply unless the user scrolled up to read.
                property bool pinned: true
                onMovementEnded: pinned = atYEnd
                onContentHeightChanged: if (pinned) positionViewAtEnd()
                onCountChanged: { pinned = true; positionViewAtEnd() }
            }

            ColumnLayout {
                anchors.centerIn: parent
                // Narrow windows wrap the lines instead of cutting them off.
                width: Math.min(implicitWidth, parent.width - 48)
                visible: messageList.count === 0
                spacing: 10
                Image {
                    Layout.alignment: Qt.AlignHCenter
                    source: "qrc:/nibble/icons/nibble.svg"
                    sourceSize.width: 56
                    sourceSize.height: 56
                    opacity: 0.9
                }
                Label {
                    Layout.alignment: Qt.AlignHCenter
                    text: qsTr("What can I help with?")
                    color: Theme.text
                    font.pixelSize: 22
                    font.weight: Font.DemiBold
                }
                Label {
                    Layout.alignment: Qt.AlignHCenter
                    Layout.fillWidth: true
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.Wrap
                    text: Variants.count > 0
                          ? qsTr("Runs entirely on this computer with %1.").arg(Variants.labelOf(Chat.variantId))
                          : qsTr("Add a model in the model library to start.")
                    color: Theme.mutedText
                }
            }

            Rectangle {
                id: noticeBar
                objectName: "notice"
                anchors.bottom: baseModelHint.top
                anchors.bottomMargin: visible ? 8 : 0
                anchors.horizontalCenter: parent.horizontalCenter
                width: Math.min(parent.width - 48, 820)
                height: visible ? noticeRow.implicitHeight + 16 : 0
                visible: Chat.notice.length > 0
                radius: 10
                color: Theme.dark ? "#3b2f1c" : "#fff4dc"
                border.color: Theme.dark ? "#6b5226" : "#f0d9a8"
                RowLayout {
                    id: noticeRow
                    anchors.fill: parent
                    anchors.leftMargin: 14
                    anchors.rightMargin: 6
                    Label {
                        Layout.fillWidth: true
                        text: Chat.notice
                        color: Theme.text
                        wrapMode: Text.Wrap
                    }
                    IconButton {
                        iconName: "close"
                        tip: qsTr("Dismiss")
                        onClicked: Chat.dismissNotice()
                    }
                }
            }

            // A base model continues text; asked a question it rambles on, which looks like a fault.
            Label {
                id: baseModelHint
                objectName: "baseModelHint"
                anchors.bottom: composer.top
                anchors.bottomMargin: visible ? 6 : 0
                anchors.horizontalCenter: parent.horizontalCenter
                width: Math.min(parent.width - 48, 820)
                height: visible ? implicitHeight : 0
                // Variants.count: read again when the library changes.
                visible: Variants.count > 0 && Variants.kindOf(Chat.variantId) === "base"
                text: qsTr("This is a base model: it continues text rather than answering. Pick an instruct (chat) model to chat.")
                color: Theme.mutedText
                font.pixelSize: 12
                elide: Text.ElideRight
                horizontalAlignment: Text.AlignHCenter
            }

            Composer {
                id: composer
                anchors.bottom: parent.bottom
                anchors.bottomMargin: 18
                anchors.horizontalCenter: parent.horizontalCenter
                width: Math.min(parent.width - 48, 820)
            }
        }
    }
}
