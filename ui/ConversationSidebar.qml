import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Nibble.App

// The conversation list: search, new chat, import, recent conversations
// grouped by day, and each one's menu (right-click or "…"): rename, export as
// Markdown or JSON, delete (with undo). The files are written and read by the
// chat controller; the dialogs only pick them.
Rectangle {
    id: sidebar
    color: Theme.sidebar

    ColumnLayout {
        anchors.fill: parent
        anchors.topMargin: 14
        spacing: 10

        RowLayout {
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            spacing: 6
            Button {
                id: newChatButton
                objectName: "newChatButton"
                Layout.fillWidth: true
                text: qsTr("New chat")
                icon.source: "qrc:/nibble/icons/plus.svg"
                icon.width: 16
                icon.height: 16
                icon.color: Theme.text
                onClicked: Chat.newConversation()
                background: Rectangle {
                    radius: 10
                    color: newChatButton.down ? Theme.border : (newChatButton.hovered ? Theme.raised : Theme.surface)
                    border.color: Theme.border
                }
            }
            IconButton {
                objectName: "importConversationButton"
                iconName: "import"
                tip: qsTr("Import conversation…")
                onClicked: importDialog.open()
            }
        }

        TextField {
            id: search
            objectName: "conversationSearch"
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            placeholderText: qsTr("Search conversations")
            leftPadding: 32
            color: Theme.text
            onTextChanged: searchDelay.restart()
            background: Rectangle {
                radius: 10
                color: Theme.surface
                border.color: search.activeFocus ? Theme.accent : Theme.border
                Image {
                    anchors.verticalCenter: parent.verticalCenter
                    x: 10
                    source: "qrc:/nibble/icons/search.svg"
                    sourceSize.width: 14
                    sourceSize.height: 14
                    opacity: 0.5
                }
            }
            Timer {
                id: searchDelay
                interval: 200
                onTriggered: Conversations.list.searchText = search.text
            }
        }

        ListView {
            id: list
            objectName: "conversationList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: Conversations.list
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            section.property: "section"
            section.delegate: Label {
                required property string section
                width: ListView.view.width
                text: section
                color: Theme.mutedText
                font.pixelSize: 11
                font.weight: Font.DemiBold
                leftPadding: 20
                topPadding: 12
                bottomPadding: 4
            }
            delegate: ItemDelegate {
                id: row
                required property var conversationId
                required property string title
                required property string snippet
                width: ListView.view.width
                height: snippet.length > 0 ? 54 : 38
                leftPadding: 20
                rightPadding: 8
                readonly property bool current: conversationId === Chat.conversationId
                background: Rectangle {
                    anchors.fill: parent
                    anchors.leftMargin: 8
                    anchors.rightMargin: 8
                    radius: 8
                    color: row.current ? Theme.selection : (row.hovered ? Theme.raised : "transparent")
                }
                contentItem: RowLayout {
                    spacing: 4
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 2
                        Label {
                            Layout.fillWidth: true
                            text: row.title
                            color: Theme.text
                            elide: Text.ElideRight
                            font.weight: row.current ? Font.DemiBold : Font.Normal
                        }
                        Label {
                            Layout.fillWidth: true
                            visible: row.snippet.length > 0
                            text: row.snippet
                            color: Theme.mutedText
                            font.pixelSize: 11
                            elide: Text.ElideRight
                        }
                    }
                    IconButton {
                        visible: row.hovered || row.current
                        iconName: "more"
                        tip: qsTr("More")
                        implicitWidth: 26
                        implicitHeight: 26
                        padding: 4
                        onClicked: rowMenu.popup()
                    }
                }
                onClicked: Chat.openConversation(conversationId)
                TapHandler {
                    acceptedButtons: Qt.RightButton
                    onTapped: rowMenu.popup()
                }
                Menu {
                    id: rowMenu
                    objectName: "conversationMenu"
                    MenuItem {
                        text: qsTr("Rename…")
                        onTriggered: { renameDialog.conversationId = row.conversationId; renameDialog.openWith(row.title) }
                    }
                    MenuItem {
                        text: qsTr("Export as Markdown…")
                        onTriggered: exportDialog.openFor(row.conversationId, "markdown")
                    }
                    MenuItem {
                        text: qsTr("Export as JSON…")
                        onTriggered: exportDialog.openFor(row.conversationId, "json")
                    }
                    MenuSeparator {}
                    MenuItem {
                        text: qsTr("Delete")
                        onTriggered: Conversations.deleteConversation(row.conversationId)
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                width: parent.width - 40
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                visible: list.count === 0
                color: Theme.mutedText
                text: search.text.length > 0 ? qsTr("No conversation matches “%1”.").arg(search.text)
                                             : qsTr("Your conversations will appear here.")
            }
        }
    }

    // Keeps the open conversation in sight, an imported one included.
    Connections {
        target: Chat
        function onConversationChanged() {
            const row = Conversations.list.indexOf(Chat.conversationId)
            if (row >= 0) list.positionViewAtIndex(row, ListView.Contain)
        }
    }

    Snackbar {
        id: exportedBar
        objectName: "exportedBar"
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 12
        anchors.horizontalCenter: parent.horizontalCenter
        timeout: 5000
        Connections {
            target: Conversations
            function onExported(fileName) {
                exportedBar.text = qsTr("Saved “%1”").arg(fileName)
                exportedBar.show()
            }
        }
    }

    Snackbar {
        id: undoBar
        objectName: "undoDeleteBar"
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 12
        anchors.horizontalCenter: parent.horizontalCenter
        text: qsTr("Deleted “%1”").arg(Conversations.deletedTitle)
        actionText: qsTr("Undo")
        onAction: Conversations.undoDelete()
        Connections {
            target: Conversations
            function onDeletedChanged() { if (Conversations.deletedTitle.length > 0) undoBar.show() }
        }
    }

    Dialog {
        id: renameDialog
        property var conversationId
        function openWith(currentTitle) {
            titleField.text = currentTitle
            open()
            titleField.selectAll()
            titleField.forceActiveFocus()
        }
        parent: Overlay.overlay
        anchors.centerIn: parent
        modal: true
        title: qsTr("Rename conversation")
        standardButtons: Dialog.Ok | Dialog.Cancel
        width: 380
        TextField {
            id: titleField
            width: parent.width
            onAccepted: renameDialog.accept()
        }
        onAccepted: Conversations.renameConversation(conversationId, titleField.text)
    }

    FileDialog {
        id: exportDialog
        property var conversationId
        property string format
        function openFor(id, fileFormat) {
            conversationId = id
            format = fileFormat
            selectedFile = Conversations.suggestedExportFile(id, fileFormat)
            open()
        }
        title: qsTr("Export conversation")
        fileMode: FileDialog.SaveFile
        nameFilters: format === "json" ? [qsTr("Nibble conversation (*.json)")] : [qsTr("Markdown (*.md)")]
        defaultSuffix: format === "json" ? "json" : "md"
        onAccepted: Conversations.exportConversation(conversationId, selectedFile, format)
    }

    FileDialog {
        id: importDialog
        title: qsTr("Import conversation")
        fileMode: FileDialog.OpenFile
        nameFilters: [qsTr("Nibble conversation (*.json)"), qsTr("All files (*)")]
        onAccepted: Conversations.importConversation(selectedFile)
    }
}
