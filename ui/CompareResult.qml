import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// One side of the comparison: the reply and its speed.
Rectangle {
    id: pane
    property string heading
    property var variantId
    property var result: ({})
    readonly property string status: result.status !== undefined ? result.status : ""

    radius: 12
    color: Theme.surface
    border.color: Theme.border

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 14
        spacing: 10

        RowLayout {
            Layout.fillWidth: true
            Label {
                Layout.fillWidth: true
                text: pane.heading
                color: Theme.text
                font.weight: Font.DemiBold
                // The whole variant name, on two lines in a narrow window.
                wrapMode: Text.Wrap
            }
            Label {
                objectName: "speed"
                text: pane.status === "done" || pane.status === "stopped"
                      ? qsTr("%1 tokens/s · %2 tokens").arg(Number(pane.result.tokensPerSecond || 0).toFixed(1)).arg(pane.result.tokens || 0)
                      : pane.status === "generating" ? qsTr("generating…")
                      : pane.status === "waiting" ? qsTr("waiting") : ""
                color: Theme.mutedText
                font.pixelSize: 12
            }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }

        ScrollView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            TextEdit {
                objectName: "replyText"
                width: pane.width - 28
                text: pane.status === "failed" ? (pane.result.error || "") : (pane.result.text || "")
                textFormat: TextEdit.MarkdownText
                readOnly: true
                selectByMouse: true
                wrapMode: TextEdit.Wrap
                color: pane.status === "failed" ? Theme.danger : Theme.text
                font.pixelSize: 14
            }
        }
    }
}
