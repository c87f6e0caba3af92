import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// How variant B answers compared with A: measured on the compared prompt once
// both replies are in, or on the user turns of the saved chats. Shows the
// figures of both and a one-line verdict in plain words.
Rectangle {
    id: panel
    property var referenceId: 0
    property var variantId: 0
    readonly property var result: Evaluator.result
    readonly property bool hasResult: result.verdict !== undefined
    // Looked up again whenever a chat is saved or a run ends.
    readonly property int savedTurns: (Conversations.list.count, Compare.running, Evaluator.running,
                                       Evaluator.savedTurnCount(turns.value))

    function number(value, digits) { return value === undefined ? "—" : Number(value).toFixed(digits) }
    // Evaluations saved before bits per weight were measured show the size alone.
    function sizeWithBits(size, bits) {
        if (!size) return "—"
        return bits ? qsTr("%1 · %2 bits/weight").arg(size).arg(Number(bits).toFixed(2)) : size
    }
    // " ± 0.4" where the measurement has an error bar (enough tokens), else nothing.
    function error(value, digits) { return value === undefined ? "" : " ± " + Number(value).toFixed(digits) }

    implicitHeight: layout.implicitHeight + 28
    radius: 12
    color: Theme.surface
    border.color: Theme.border

    ColumnLayout {
        id: layout
        anchors.fill: parent
        anchors.margins: 14
        spacing: 8

        RowLayout {
            Layout.fillWidth: true
            spacing: 8
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 2
                Label {
                    text: qsTr("How B answers compared with A")
                    color: Theme.text
                    font.weight: Font.DemiBold
                }
                Label {
                    Layout.fillWidth: true
                    text: panel.hasResult
                          ? qsTr("Measured on %1: how likely each model finds its words, token by token.").arg(panel.result.dataset)
                          : qsTr("Measured after both replies are in, on that prompt; or on your saved chats for figures the library keeps.")
                    color: Theme.mutedText
                    font.pixelSize: 12
                    wrapMode: Text.Wrap
                }
            }
            Label { text: qsTr("up to"); color: Theme.mutedText; font.pixelSize: 12 }
            SpinBox {
                id: turns
                objectName: "chatTurns"
                from: 1
                to: 200
                value: 20
                editable: true
                implicitWidth: 110
            }
            Button {
                objectName: "runOnChatsButton"
                text: qsTr("Run on my conversations")
                enabled: !Evaluator.running && !Compare.running && panel.referenceId !== panel.variantId
                         && panel.savedTurns > 0
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Scores B against A on %1 questions from your saved chats and keeps the figures in the library.").arg(panel.savedTurns)
                onClicked: Evaluator.evaluateChats(panel.referenceId, panel.variantId, turns.value)
            }
        }

        RowLayout {
            Layout.fillWidth: true
            visible: Evaluator.running
            spacing: 10
            Label {
                objectName: "evaluationTask"
                Layout.fillWidth: true
                text: Evaluator.task
                color: Theme.mutedText
                elide: Text.ElideRight
            }
            ProgressBar {
                objectName: "evaluationProgress"
                from: 0
                to: 1
                value: Evaluator.progress
                // Loading the models comes first: moving at once says it has begun.
                indeterminate: Evaluator.progress <= 0
                Layout.preferredWidth: 180
            }
            IconButton {
                iconName: "close"
                tip: qsTr("Cancel the measurement")
                onClicked: Evaluator.cancel()
            }
        }

        Label {
            Layout.fillWidth: true
            visible: !Evaluator.running && Evaluator.message.length > 0
            text: Evaluator.message
            color: Theme.danger
            wrapMode: Text.Wrap
        }

        Label {
            objectName: "qualityVerdict"
            Layout.fillWidth: true
            visible: panel.hasResult && !Evaluator.running
            text: panel.hasResult ? panel.result.verdict : ""
            color: Theme.text
            font.pixelSize: 15
            wrapMode: Text.Wrap
        }

        GridLayout {
            objectName: "qualityFigures"
            visible: panel.hasResult && !Evaluator.running
            columns: 6
            columnSpacing: 18
            rowSpacing: 3
            Label { text: ""; font.pixelSize: 12 }
            ColumnHeading {
                text: qsTr("Size on disk")
                tip: qsTr("How much room the model file takes: fewer bits per weight, a smaller file.")
            }
            ColumnHeading {
                objectName: "speedHeading"
                text: qsTr("Speed")
                tip: panel.result.speedNote || ""
            }
            ColumnHeading {
                text: qsTr("Surprise (perplexity)")
                tip: qsTr("How surprised each model is by A's reply, on average: lower is more confident. Close numbers mean the two models agree.")
            }
            ColumnHeading {
                text: qsTr("Difference (KL divergence)")
                tip: qsTr("How far B's next-token probabilities are from A's, on average (0: identical). Below 0.01 is hard to notice; above 0.1 B often words things differently.")
            }
            ColumnHeading {
                text: qsTr("Same next token")
                tip: qsTr("How often B's most likely next token is A's. The ± is the uncertainty, shown once at least %1 tokens were scored.").arg(Evaluator.minTokensForError)
            }

            Label {
                text: qsTr("A (reference)")
                color: Theme.text
                font.pixelSize: 12
                font.weight: Font.DemiBold
            }
            Label { text: panel.sizeWithBits(panel.result.referenceSizeText, panel.result.referenceBitsPerWeight); color: Theme.text; font.pixelSize: 12 }
            Label { text: qsTr("%1 tokens/s").arg(panel.number(panel.result.referenceTokensPerSecond, 1)); color: Theme.text; font.pixelSize: 12 }
            Label { text: panel.number(panel.result.referencePerplexity, 2); color: Theme.text; font.pixelSize: 12 }
            Label { text: "0"; color: Theme.mutedText; font.pixelSize: 12 }
            Label { text: "100%"; color: Theme.mutedText; font.pixelSize: 12 }

            Label {
                text: qsTr("B")
                color: Theme.text
                font.pixelSize: 12
                font.weight: Font.DemiBold
            }
            Label { objectName: "variantSizeFigure"; text: panel.sizeWithBits(panel.result.sizeText, panel.result.bitsPerWeight); color: Theme.text; font.pixelSize: 12 }
            Label { text: qsTr("%1 tokens/s").arg(panel.number(panel.result.tokensPerSecond, 1)); color: Theme.text; font.pixelSize: 12 }
            Label { text: panel.number(panel.result.perplexity, 2); color: Theme.text; font.pixelSize: 12 }
            Label {
                objectName: "kldFigure"
                text: qsTr("%1%2 (99th pct. %3)").arg(panel.number(panel.result.kldMean, 4))
                      .arg(panel.error(panel.result.kldMeanError, 4)).arg(panel.number(panel.result.kldP99, 3))
                color: Theme.text
                font.pixelSize: 12
            }
            Label {
                objectName: "sameTopFigure"
                text: qsTr("%1%%2").arg(panel.number(panel.result.sameTopPercent, 1)).arg(panel.error(panel.result.sameTopError, 1))
                color: Theme.text
                font.pixelSize: 12
            }
        }
    }
}
