import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One side of the comparison: the reply, its speed, and the variant's
// quality figures against its reference.
Rectangle {
    id: pane
    property string heading
    property var variantId
    property var result: ({})
    readonly property string status: result.status !== undefined ? result.status : ""
    // Filled by the quality evaluation (perplexity, KL divergence, top-token
    // agreement against the reference); until one has run they are unknown.
    readonly property var figures: variants.count >= 0 ? variants.qualityOf(variantId) : ({})

    function quality(key, digits, suffix) {
        const value = figures[key]
        return value === undefined ? qsTr("not measured") : Number(value).toFixed(digits) + (suffix || "")
    }

    radius: 12
    color: theme.surface
    border.color: theme.border

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 14
        spacing: 10

        RowLayout {
            Layout.fillWidth: true
            Label {
                Layout.fillWidth: true
                text: pane.heading
                color: theme.text
                font.weight: Font.DemiBold
                elide: Text.ElideRight
            }
            Label {
                objectName: "speed"
                text: pane.status === "done" || pane.status === "stopped"
                      ? qsTr("%1 tokens/s · %2 tokens").arg(Number(pane.result.tokensPerSecond || 0).toFixed(1)).arg(pane.result.tokens || 0)
                      : pane.status === "generating" ? qsTr("generating…")
                      : pane.status === "waiting" ? qsTr("waiting") : ""
                color: theme.mutedText
                font.pixelSize: 12
            }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: theme.border }

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
                color: pane.status === "failed" ? theme.danger : theme.text
                font.pixelSize: 14
            }
        }

        Rectangle {
            Layout.fillWidth: true
            implicitHeight: qualityLayout.implicitHeight + 20
            radius: 8
            color: theme.raised
            ColumnLayout {
                id: qualityLayout
                anchors.fill: parent
                anchors.margins: 10
                spacing: 4
                Label {
                    text: qsTr("Quality against the reference")
                    color: theme.text
                    font.pixelSize: 12
                    font.weight: Font.DemiBold
                }
                Label {
                    Layout.fillWidth: true
                    text: qsTr("Measured by a quality evaluation against the reference variant; none has run for this variant yet.")
                    visible: Object.keys(pane.figures).length === 0
                    color: theme.mutedText
                    font.pixelSize: 11
                    wrapMode: Text.Wrap
                }
                GridLayout {
                    columns: 2
                    columnSpacing: 16
                    rowSpacing: 2
                    Label { text: qsTr("Perplexity"); color: theme.mutedText; font.pixelSize: 12 }
                    Label { text: pane.quality("perplexity", 2); color: theme.text; font.pixelSize: 12 }
                    Label { text: qsTr("KL divergence (mean)"); color: theme.mutedText; font.pixelSize: 12 }
                    Label { text: pane.quality("kldMean", 4); color: theme.text; font.pixelSize: 12 }
                    Label { text: qsTr("Same top token"); color: theme.mutedText; font.pixelSize: 12 }
                    Label { text: pane.quality("sameTopPercent", 1, "%"); color: theme.text; font.pixelSize: 12 }
                }
            }
        }
    }
}
